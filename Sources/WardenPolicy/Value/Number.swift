import BigInt
import Foundation

/// A Rego number. Integers are exact at any size (OPA's numbers are arbitrary precision):
/// 64-bit while they fit, big integers beyond. Fractions are doubles, computed through
/// decimals so that 0.1 + 0.2 == 0.3 as in OPA.
public struct Number: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Storage: Sendable, Hashable {
        case integer(Int64)
        case big(BigInt)
        case double(Double)
    }

    public let storage: Storage

    public init(_ value: Int64) { storage = .integer(value) }

    /// Big integers that fit in 64 bits are stored as such, so each value has one form.
    public init(_ value: BigInt) {
        if let small = Int64(exactly: value) { storage = .integer(small) } else { storage = .big(value) }
    }

    /// Integral doubles within range become integers, so 2.0 == 2 and both print as 2.
    public init(_ value: Double) {
        if value == value.rounded(), abs(value) < 9.007_199_254_740_992e15 {
            storage = .integer(Int64(value))
        } else {
            storage = .double(value)
        }
    }

    /// A number as written in policy text: a float literal stays a float even when integral.
    init(literal value: Double) {
        storage = value.isFinite ? .double(value) : .double(0)
    }

    /// An integer literal of any size.
    public init?(integerText text: String) {
        if let small = Int64(text) {
            self.init(small)
        } else if let big = BigInt(text) {
            self.init(big)
        } else {
            return nil
        }
    }

    /// `1.5e400` as the exact integer it is; nil when it has a fraction left or is too large
    /// for the evaluator's integer bound.
    static func exactInteger(scientific text: String) -> BigInt? {
        let parts = text.lowercased().split(separator: "e", omittingEmptySubsequences: false)
        guard parts.count <= 2, let exponent = parts.count == 2 ? Int(parts[1]) : 0 else { return nil }
        let mantissa = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        let digits = mantissa.joined()
        let scale = mantissa.count == 2 ? mantissa[1].count : 0
        let shift = exponent - scale
        guard shift >= 0, shift <= 2400, let value = BigInt(digits) else { return nil }
        return value * BigInt(10).power(shift)
    }

    public var doubleValue: Double {
        switch storage {
        case let .integer(i): Double(i)
        case let .big(b): Double(b)
        case let .double(d): d
        }
    }

    public var exactInteger: Int64? {
        if case let .integer(i) = storage { return i }
        return nil
    }

    /// The value as an exact integer of any size, when it is integral.
    var bigInteger: BigInt? {
        switch storage {
        case let .integer(i): BigInt(i)
        case let .big(b): b
        case let .double(d): d == d.rounded() && d.isFinite ? BigInt(d) : nil
        }
    }

    public static func == (lhs: Number, rhs: Number) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case let (.integer(a), .integer(b)): a == b
        case (.big, _), (_, .big): lhs.bigInteger != nil && lhs.bigInteger == rhs.bigInteger
        default: lhs.doubleValue == rhs.doubleValue
        }
    }

    public func hash(into hasher: inout Hasher) {
        // Equal numbers convert to the same double, whatever their storage.
        hasher.combine(doubleValue)
    }

    public static func < (lhs: Number, rhs: Number) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case let (.integer(a), .integer(b)): return a < b
        case (.big, _), (_, .big):
            if let a = lhs.bigInteger, let b = rhs.bigInteger { return a < b }
            return lhs.doubleValue < rhs.doubleValue
        default: return lhs.doubleValue < rhs.doubleValue
        }
    }

    public var description: String {
        switch storage {
        case let .integer(i): return String(i)
        case let .big(b): return b.description
        case let .double(d):
            if d.isNaN || d.isInfinite { return "null" }
            return "\(d)"
        }
    }

    /// Decimal form for fractional arithmetic (the shortest decimal text of a double); nil
    /// beyond Foundation's Decimal (38 digits, exponents to ±127), whose initialiser from such
    /// a double traps (RegoFuzzer found it dividing big integers).
    var decimalValue: Decimal? {
        switch storage {
        case let .integer(i): return Decimal(i)
        case let .big(b): return b.bitWidth <= 120 ? Decimal(string: b.description) : nil
        case let .double(d):
            guard d.isFinite, d == 0 || (1e-120...1e120).contains(d.magnitude) else { return nil }
            return Decimal(string: "\(d)")
        }
    }

    /// `op` in decimal when both sides have a decimal form (0.1 + 0.2 == 0.3), else in doubles.
    static func fractional(
        _ a: Number, _ b: Number, _ decimal: (Decimal, Decimal) -> Decimal, _ double: (Double, Double) -> Double
    ) -> Number {
        if let x = a.decimalValue, let y = b.decimalValue { return Number(decimal: decimal(x, y)) }
        return Number(double(a.doubleValue, b.doubleValue))
    }

    init(decimal: Decimal) {
        self.init(Double(truncating: decimal as NSNumber))
        if case .double = storage, let exact = Double("\(decimal)") { self = Number(exact) }
    }

    /// Integer arithmetic when both sides are integers (exact at any size), decimal otherwise.
    private static func integral(_ a: Number, _ b: Number) -> (BigInt, BigInt)? {
        switch (a.storage, b.storage) {
        case (.double, _), (_, .double): nil
        default: (a.bigInteger!, b.bigInteger!)
        }
    }

    static func add(_ a: Number, _ b: Number) -> Number {
        if case let .integer(x) = a.storage, case let .integer(y) = b.storage {
            let (sum, overflow) = x.addingReportingOverflow(y)
            if !overflow { return Number(sum) }
        }
        if let (x, y) = integral(a, b) { return Number(x + y) }
        return fractional(a, b, +, +)
    }

    static func subtract(_ a: Number, _ b: Number) -> Number {
        if case let .integer(x) = a.storage, case let .integer(y) = b.storage {
            let (difference, overflow) = x.subtractingReportingOverflow(y)
            if !overflow { return Number(difference) }
        }
        if let (x, y) = integral(a, b) { return Number(x - y) }
        return fractional(a, b, -, -)
    }

    static func multiply(_ a: Number, _ b: Number) -> Number {
        if case let .integer(x) = a.storage, case let .integer(y) = b.storage {
            let (product, overflow) = x.multipliedReportingOverflow(by: y)
            if !overflow { return Number(product) }
        }
        if let (x, y) = integral(a, b) { return Number(x * y) }
        return fractional(a, b, *, *)
    }
}
