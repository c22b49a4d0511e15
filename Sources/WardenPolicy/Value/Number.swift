import Foundation

/// A Rego number: an exact 64-bit integer when it is one, else a double. Arithmetic stays
/// integral while it can (OPA's big numbers beyond 64 bits become doubles here).
public struct Number: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Storage: Sendable, Hashable {
        case integer(Int64)
        case double(Double)
    }

    public let storage: Storage

    public init(_ value: Int64) { storage = .integer(value) }

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

    public var doubleValue: Double {
        switch storage {
        case let .integer(i): Double(i)
        case let .double(d): d
        }
    }

    public var exactInteger: Int64? {
        if case let .integer(i) = storage { return i }
        return nil
    }

    public static func == (lhs: Number, rhs: Number) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case let (.integer(a), .integer(b)): a == b
        default: lhs.doubleValue == rhs.doubleValue
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch storage {
        case let .integer(i): hasher.combine(Double(i))
        case let .double(d): hasher.combine(d)
        }
    }

    public static func < (lhs: Number, rhs: Number) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case let (.integer(a), .integer(b)): a < b
        default: lhs.doubleValue < rhs.doubleValue
        }
    }

    public var description: String {
        switch storage {
        case let .integer(i): return String(i)
        case let .double(d):
            if d.isNaN || d.isInfinite { return "null" }
            var text = "\(d)"
            if text.contains("e") {
                // JSON wants 1e+21 / 1e-07 style, as Go prints them.
                text = text.replacingOccurrences(of: "e+", with: "e+")
            }
            return text
        }
    }

    /// OPA computes with arbitrary-precision decimals (0.1 + 0.2 == 0.3); decimal arithmetic on
    /// the shortest decimal form of each operand gives the same answers for policy-sized numbers.
    var decimalValue: Decimal {
        switch storage {
        case let .integer(i): Decimal(i)
        case let .double(d): Decimal(string: "\(d)") ?? Decimal(d)
        }
    }

    init(decimal: Decimal) {
        self.init(Double(truncating: decimal as NSNumber))
        if case .double = storage, let exact = Double("\(decimal)") { self = Number(exact) }
    }

    static func add(_ a: Number, _ b: Number) -> Number {
        if case let .integer(x) = a.storage, case let .integer(y) = b.storage {
            let (sum, overflow) = x.addingReportingOverflow(y)
            if !overflow { return Number(sum) }
        }
        return Number(decimal: a.decimalValue + b.decimalValue)
    }

    static func subtract(_ a: Number, _ b: Number) -> Number {
        if case let .integer(x) = a.storage, case let .integer(y) = b.storage {
            let (difference, overflow) = x.subtractingReportingOverflow(y)
            if !overflow { return Number(difference) }
        }
        return Number(decimal: a.decimalValue - b.decimalValue)
    }

    static func multiply(_ a: Number, _ b: Number) -> Number {
        if case let .integer(x) = a.storage, case let .integer(y) = b.storage {
            let (product, overflow) = x.multipliedReportingOverflow(by: y)
            if !overflow { return Number(product) }
        }
        return Number(decimal: a.decimalValue * b.decimalValue)
    }
}
