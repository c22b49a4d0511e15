import BigInt
import Foundation

extension BinaryFloat64 {
    /// The shortest decimal that reads back as this float, as Go's `big.Float.Text('g', -1)`
    /// picks it at the float's precision (what OPA prints): a walk along the digits of x and of
    /// its bounds, half an ulp either side (inclusive when the mantissa is even), that stops
    /// where x has set itself apart from them. The walk is Go's to the letter, including that it
    /// compares the bounds' digits position by position without aligning their decimal points
    /// and, when rounding up, looks only at the current digit of the upper bound; that picks
    /// ...275000 for 7731.6 × 2^64 where ...276000 is nearer, and OPA prints the former.
    var shortestDecimal: ExactDecimal {
        guard !isZero else { return ExactDecimal(coefficient: 0, exponent: 0) }
        // With one more bit, the last bit is half an ulp: x = 2m, the bounds 2m ∓ 1.
        let twice = BigUInt(mantissa) << 1
        let binaryPower = exponent - 1
        // Scale so that x has about 45 digits: the walk ends by the 22nd.
        let leading = Int((Double(binaryPower + precision + 1) * log10(2.0)).rounded(.down))
        let decimalPower = leading - 45
        let lower = Self.digits(twice - 1, binaryPower: binaryPower, decimalPower: decimalPower)
        let x = Self.digits(twice, binaryPower: binaryPower, decimalPower: decimalPower)
        let upper = Self.digits(twice + 1, binaryPower: binaryPower, decimalPower: decimalPower)
        let inclusive = mantissa & 1 == 0
        // x's value is 0.d₁d₂… × 10^pointPosition.
        let pointPosition = x.scaledCount + decimalPower

        var kept = x.digits
        var position = pointPosition
        for (i, m) in x.digits.prefix(x.count).enumerated() {
            let l = lower.at(i)
            let u = upper.at(i)
            let okDown = l != m || (inclusive && i + 1 == lower.count)
            let okUp = m != u && (inclusive || m + 1 < u || i + 1 < upper.count)
            if okDown && okUp {
                (kept, position) = Self.roundNearest(x.digits, to: i + 1, point: pointPosition, exact: i + 2 == x.count)
                break
            } else if okDown {
                kept = Array(x.digits.prefix(i + 1))
                break
            } else if okUp {
                (kept, position) = Self.roundUp(x.digits, to: i + 1, point: pointPosition)
                break
            }
        }
        while kept.last == 0 { kept.removeLast() }
        let coefficient = BigInt(kept.reduce(BigUInt(0)) { $0 * 10 + BigUInt($1) })
        return ExactDecimal(coefficient: negative ? -coefficient : coefficient, exponent: position - kept.count)
    }

    /// A number's decimal digits from its leading one, as Go's `decimal` holds them: `count` is
    /// the length without trailing zeros when the value is exact at this scale, else unbounded.
    private struct Digits {
        let digits: [UInt8]
        let count: Int
        /// Digits before the scale's decimal point.
        let scaledCount: Int

        func at(_ index: Int) -> UInt8 { index < count && index < digits.count ? digits[index] : 0 }
    }

    private static func digits(_ n: BigUInt, binaryPower: Int, decimalPower: Int) -> Digits {
        let (scaled, exact) = Self.scaled(n, binaryPower: binaryPower, decimalPower: decimalPower)
        let all = scaled.description.utf8.map { $0 - UInt8(ascii: "0") }
        var significant = all.count
        while significant > 0, all[significant - 1] == 0 { significant -= 1 }
        return Digits(digits: all, count: exact ? significant : Int.max, scaledCount: all.count)
    }

    /// Go's `decimal.round`: half up, except that a final 5 rounds to even.
    private static func roundNearest(_ digits: [UInt8], to n: Int, point: Int, exact: Bool) -> ([UInt8], Int) {
        guard n < digits.count else { return (digits, point) }
        let roundsUp = digits[n] == 5 && exact ? (digits[n - 1] & 1 == 1) : digits[n] >= 5
        return roundsUp ? roundUp(digits, to: n, point: point) : (Array(digits.prefix(n)), point)
    }

    /// Go's `decimal.roundUp`: the first n digits plus one in the last, carrying; all nines
    /// become 1 with the point one further.
    private static func roundUp(_ digits: [UInt8], to n: Int, point: Int) -> ([UInt8], Int) {
        var kept = Array(digits.prefix(n))
        var index = n - 1
        while index >= 0, kept[index] == 9 { index -= 1 }
        guard index >= 0 else { return ([1], point + 1) }
        kept[index] += 1
        return (Array(kept.prefix(index + 1)), point)
    }

    /// ⌊n × 2^binaryPower × 10^-decimalPower⌋, and whether that is exact.
    private static func scaled(_ n: BigUInt, binaryPower: Int, decimalPower: Int) -> (BigUInt, exact: Bool) {
        var numerator = n
        var denominator = BigUInt(1)
        if binaryPower >= 0 { numerator <<= binaryPower } else { denominator <<= -binaryPower }
        if decimalPower >= 0 {
            denominator *= BigUInt(10).power(decimalPower)
        } else {
            numerator *= BigUInt(10).power(-decimalPower)
        }
        let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: denominator)
        return (quotient, remainder.isZero)
    }
}
