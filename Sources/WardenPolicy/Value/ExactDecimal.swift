import BigInt

/// A decimal number held exactly: `coefficient × 10^exponent`. OPA keeps every number as the
/// decimal text it was written or computed as, and compares those exactly, so Warden's
/// non-integer numbers are exact decimals too (`0.1000000000000000000001 > 0.1`, `1e-400 > 0`).
/// The coefficient has no trailing zeros, so each value has one form; zero is `0 × 10^0`.
public struct ExactDecimal: Sendable, Hashable, Comparable {
    public let coefficient: BigInt
    public let exponent: Int

    init(coefficient: BigInt, exponent: Int) {
        guard coefficient != 0 else {
            self.coefficient = 0
            self.exponent = 0
            return
        }
        var digits = coefficient.magnitude.description
        var exponent = exponent
        while digits.last == "0" {
            digits.removeLast()
            exponent += 1
        }
        let magnitude = BigInt(digits)!
        self.coefficient = coefficient.signum() < 0 ? -magnitude : magnitude
        self.exponent = exponent
    }

    init(_ integer: BigInt) { self.init(coefficient: integer, exponent: 0) }

    var isZero: Bool { coefficient == 0 }
    var isNegative: Bool { coefficient.signum() < 0 }
    var isIntegral: Bool { exponent >= 0 }

    /// The digits of the coefficient's magnitude.
    var digits: String { coefficient.magnitude.description }

    /// The power of ten of the leading digit: 1.5e3 → 3, 0.05 → -2.
    var leadingExponent: Int { exponent + digits.count - 1 }

    /// The exact integer, when the value is one and has at most `maximumDigits` digits.
    func integer(maximumDigits: Int) -> BigInt? {
        guard isIntegral, digits.count + exponent <= maximumDigits else { return nil }
        return coefficient * BigInt(10).power(exponent)
    }

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        let (l, r) = (lhs.coefficient.signum(), rhs.coefficient.signum())
        guard l == r else { return l < r }
        guard l != 0 else { return false }
        let magnitudeLess: Bool
        if lhs.leadingExponent != rhs.leadingExponent {
            magnitudeLess = lhs.leadingExponent < rhs.leadingExponent
        } else {
            // Same leading power: align the coefficients (the shift is at most their length).
            let common = min(lhs.exponent, rhs.exponent)
            let a = lhs.coefficient.magnitude * BigUInt(10).power(lhs.exponent - common)
            let b = rhs.coefficient.magnitude * BigUInt(10).power(rhs.exponent - common)
            magnitudeLess = a < b
        }
        return l > 0 ? magnitudeLess : (!magnitudeLess && lhs != rhs)
    }

    /// Reads JSON number syntax (and Rego's, which is the same): `-12.50e-3`. Nil when the text
    /// is not a number.
    /// `negativeZero` tells `-0` from `0`, which OPA prints as written.
    static func parse(_ text: Substring) -> (value: ExactDecimal, negativeZero: Bool)? {
        var bytes = text.utf8[...]
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { bytes = bytes.dropFirst() }
        func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        let integerPart = bytes.prefix(while: isDigit)
        guard !integerPart.isEmpty else { return nil }
        bytes = bytes.dropFirst(integerPart.count)
        var fraction = bytes.prefix(0)
        if bytes.first == UInt8(ascii: ".") {
            fraction = bytes.dropFirst().prefix(while: isDigit)
            guard !fraction.isEmpty else { return nil }
            bytes = bytes.dropFirst(1 + fraction.count)
        }
        var exponent = 0
        if let marker = bytes.first, marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            var exponentNegative = false
            if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                exponentNegative = sign == UInt8(ascii: "-")
                bytes = bytes.dropFirst()
            }
            let exponentDigits = bytes.prefix(while: isDigit)
            guard !exponentDigits.isEmpty else { return nil }
            bytes = bytes.dropFirst(exponentDigits.count)
            // Past nine digits no non-zero number is in range (callers check it); zero stays zero.
            exponent = exponentDigits.count <= 9 ? Int(String(decoding: exponentDigits, as: UTF8.self))! : 1_000_000_000
            if exponentNegative { exponent = -exponent }
        }
        guard bytes.isEmpty else { return nil }
        var digits = Substring(String(decoding: integerPart, as: UTF8.self) + String(decoding: fraction, as: UTF8.self))
        digits = digits.drop(while: { $0 == "0" })
        guard !digits.isEmpty else { return (ExactDecimal(coefficient: 0, exponent: 0), negative) }
        let magnitude = BigInt(String(digits))!
        return (ExactDecimal(coefficient: negative ? -magnitude : magnitude, exponent: exponent - fraction.count), false)
    }
}
