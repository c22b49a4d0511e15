import BigInt
import Foundation

/// A Rego number, kept as OPA keeps it. Integers are exact at any size: 64-bit while they fit,
/// big integers beyond. Other numbers are exact decimals, so comparisons are exact; arithmetic
/// on them rounds as OPA's does (`BinaryFloat64`). A number also remembers the text OPA would
/// print for it when that is not the canonical one: a literal as written (`1.10`, `1E3`) or `-0`.
public struct Number: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Storage: Sendable, Hashable {
        case integer(Int64)
        case big(BigInt)
        /// Not an integer, or an integer too wide for the evaluator (a literal `1e30000`).
        case decimal(ExactDecimal)
    }

    public let storage: Storage
    /// The text to print instead of the canonical form.
    let text: String?

    /// Integers up to this many digits are held as integers (8,192 bits, the result bound).
    static let maximumIntegerDigits = 2_467
    /// OPA refuses a literal whose binary exponent passes this ("number too big").
    static let maximumBinaryExponent = 100_000

    private init(storage: Storage, text: String?) {
        self.storage = storage
        self.text = text
    }

    public init(_ value: Int64) { self.init(storage: .integer(value), text: nil) }

    /// Big integers that fit in 64 bits are stored as such, so each value has one form.
    public init(_ value: BigInt) {
        if let small = Int64(exactly: value) { self.init(small) } else { self.init(storage: .big(value), text: nil) }
    }

    /// An exact decimal; integral values within the integer bound become integers.
    init(_ value: ExactDecimal, text: String? = nil) {
        if value.isIntegral, let integer = value.integer(maximumDigits: Self.maximumIntegerDigits) {
            self.init(storage: Number(integer).storage, text: text)
        } else {
            self.init(storage: .decimal(value), text: text)
        }
    }

    /// A number a builtin computed in floating point (or JSON input read as a double): its
    /// shortest decimal, as OPA's float64 results are. Infinities are clamped to the largest double.
    public init(_ value: Double) {
        if value == value.rounded(), abs(value) < 9.007_199_254_740_992e15 {
            self.init(Int64(value))
            return
        }
        let finite = value.isFinite ? value : (value < 0 ? -Double.greatestFiniteMagnitude : .greatestFiniteMagnitude)
        self.init(ExactDecimal.parse(Substring("\(finite)"))!.value)
    }

    /// A number from its text (a literal, a JSON number, `to_number`): the exact value, printed
    /// as written. Nil when it is not a number; throws "number too big" where OPA does.
    init?(text: String) throws(NumberRangeError) {
        if let small = Int64(text) {
            self.init(storage: .integer(small), text: String(small) == text ? nil : text)
            return
        }
        guard let (value, negativeZero) = ExactDecimal.parse(Substring(text)) else { return nil }
        guard Self.isWithinOPAsRange(value) else { throw NumberRangeError(text: text) }
        self.init(value, text: negativeZero || Self.canonicalText(value) != text ? text : nil)
    }

    /// OPA's literal range: a binary exponent (Go's `MantExp`, ⌊log2 |v|⌋ + 1) within ±100,000.
    /// The leading digits' logarithm settles it; only a value within a hair of a power of two at
    /// the edge needs the exact float, a conversion that costs a division of 100,000-bit integers.
    static func isWithinOPAsRange(_ value: ExactDecimal) -> Bool {
        guard !value.isZero else { return true }
        let leading = Double(value.digits.prefix(15)) ?? 1
        let magnitude = log2(leading) + Double(value.leadingExponent - min(14, value.digits.count - 1)) * log2(10)
        let exponent = magnitude.rounded(.down) + 1
        let nearPowerOfTwo = abs(magnitude - magnitude.rounded()) < 1e-9
        if nearPowerOfTwo, abs(abs(exponent) - Double(maximumBinaryExponent)) <= 2 {
            return abs(BinaryFloat64(value).binaryExponent) <= maximumBinaryExponent
        }
        return abs(exponent) <= Double(maximumBinaryExponent)
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

    /// An arithmetic result: its shortest decimal, printed as OPA prints it (`-0` included).
    init(computed value: BinaryFloat64) {
        let decimal = value.shortestDecimal
        self.init(decimal, text: value.isZero && value.negative ? "-0" : nil)
    }

    /// The value as an exact decimal, whatever its storage.
    var exactDecimal: ExactDecimal {
        switch storage {
        case let .integer(i): ExactDecimal(BigInt(i))
        case let .big(b): ExactDecimal(b)
        case let .decimal(d): d
        }
    }

    public var doubleValue: Double {
        switch storage {
        case let .integer(i): Double(i)
        case let .big(b): Double(b.description) ?? .infinity
        case let .decimal(d): Double("\(d.coefficient)e\(d.exponent)") ?? 0
        }
    }

    public var exactInteger: Int64? {
        if case let .integer(i) = storage { return i }
        return nil
    }

    /// The value as an exact integer, when it is one; integers too wide to hold are nil.
    var bigInteger: BigInt? {
        switch storage {
        case let .integer(i): BigInt(i)
        case let .big(b): b
        case .decimal: nil
        }
    }

    /// Integral, including integers too wide to hold (which arithmetic refuses).
    var isIntegral: Bool {
        if case let .decimal(d) = storage { return d.isIntegral }
        return true
    }

    public static func == (lhs: Number, rhs: Number) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case let (.integer(a), .integer(b)): a == b
        case let (.big(a), .big(b)): a == b
        case let (.decimal(a), .decimal(b)): a == b
        default: false  // each value has one storage
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch storage {
        case let .integer(i): hasher.combine(i)
        case let .big(b): hasher.combine(b)
        case let .decimal(d): hasher.combine(d)
        }
    }

    public static func < (lhs: Number, rhs: Number) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case let (.integer(a), .integer(b)): a < b
        case (.decimal, _), (_, .decimal): lhs.exactDecimal < rhs.exactDecimal
        default: lhs.bigInteger! < rhs.bigInteger!
        }
    }

    public var description: String {
        if let text { return text }
        switch storage {
        case let .integer(i): return String(i)
        case let .big(b): return b.description
        case let .decimal(d): return GoNumberText.computed(d)
        }
    }

    static func canonicalText(_ value: ExactDecimal) -> String { Number(value).description }

    /// `-literal`: the exact negation, printed as written with its sign (`-1.10`, `-0`).
    var negatedLiteral: Number {
        let negated =
            switch storage {
            case let .integer(i): Number(-BigInt(i))
            case let .big(b): Number(-b)
            case let .decimal(d): Number(ExactDecimal(coefficient: -d.coefficient, exponent: d.exponent))
            }
        let written = description.hasPrefix("-") ? String(description.dropFirst()) : "-" + description
        return Number(storage: negated.storage, text: written == negated.description ? nil : written)
    }

    /// The float OPA computes with for this number. Beyond 10^±2,500 a limit error: converting
    /// `1e-30000` takes a division of 100,000-bit integers (0.7 s in a debug build), and no single
    /// step of an evaluation may cost that much. Comparison and printing of such numbers stay exact.
    func binaryFloat() throws(ArithmeticError) -> BinaryFloat64 {
        let decimal = exactDecimal
        guard abs(decimal.leadingExponent) <= Self.maximumArithmeticExponent else { throw .tooFar }
        return BinaryFloat64(decimal, negativeZero: text?.hasPrefix("-") ?? false)
    }

    static let maximumArithmeticExponent = 2_500
}

/// A number literal beyond what OPA accepts (its binary exponent past ±100,000).
public struct NumberRangeError: Error, Sendable {
    public let text: String
}
