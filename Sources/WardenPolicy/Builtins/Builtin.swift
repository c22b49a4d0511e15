import Foundation

/// A builtin function: its arity (nil: variadic) and its body. A body returns nil for
/// "undefined" and throws `BuiltinError` for errors (undefined unless strict mode).
struct Builtin: Sendable {
    let arity: Int?
    let body: @Sendable ([Value], BuiltinContext) throws -> Value?
}

struct BuiltinContext {
    let now: Int64
    /// Answers that must not change within one evaluation (`rand.intn`, `uuid.rfc4122`).
    var memo = BuiltinMemo()
    /// The evaluation's deadline: builtins that may run long (regular expressions, building
    /// large strings) check it as they go.
    var deadline: ContinuousClock.Instant = .now.advanced(by: .seconds(1))
    /// Set when OPA's compile-time type checker is being reproduced on constant arguments, for
    /// builtins that refuse a wrong type there but answer for it when evaluated.
    var isTypeCheck = false
}

/// Per-evaluation memory of random answers: OPA gives the same call the same answer within
/// one query, and a fresh one in the next.
final class BuiltinMemo: @unchecked Sendable {
    private var answers: [String: Value] = [:]

    func answer(_ key: String, _ make: () -> Value) -> Value {
        if let known = answers[key] { return known }
        let value = make()
        answers[key] = value
        return value
    }
}

struct BuiltinError: Error {
    let message: String
    var isTypeError = false
    /// Whether OPA's type checker sees this error in constant arguments (a wrong type does;
    /// a wrong value of the right type, such as a fraction where an integer is due, does not).
    var isStaticTypeError = true
    /// Errors OPA raises whatever the strict mode (conflicting outputs, …).
    var alwaysFails = false
    /// The evaluation ran out of time or a result grew past its bound: always an error.
    var isLimit = false

    init(message: String, isTypeError: Bool = false, alwaysFails: Bool = false, isLimit: Bool = false) {
        self.message = message
        self.isTypeError = isTypeError
        self.alwaysFails = alwaysFails
        self.isLimit = isLimit
    }

    init(_ arithmetic: Number.ArithmeticError) { self.init(message: arithmetic.message, isLimit: arithmetic.isLimit) }

    static let deadlinePassed = BuiltinError(message: "evaluation exceeded its time budget inside a builtin", isLimit: true)

    static func operand(_ position: Int, _ expected: String, _ actual: Value) -> BuiltinError {
        BuiltinError(message: "operand \(position) must be \(expected) but got \(actual.typeName)", isTypeError: true)
    }
}

/// Typed access to builtin arguments.
extension Array where Element == Value {
    func string(_ index: Int) throws -> String {
        guard case let .string(s) = self[index] else { throw BuiltinError.operand(index + 1, "string", self[index]) }
        return s
    }

    func number(_ index: Int) throws -> Number {
        guard case let .number(n) = self[index] else { throw BuiltinError.operand(index + 1, "number", self[index]) }
        return n
    }

    func integer(_ index: Int) throws -> Int64 {
        let n = try number(index)
        guard let i = n.exactInteger else { throw BuiltinError(message: "operand \(index + 1) must be an integer", isTypeError: true) }
        return i
    }

    func array(_ index: Int) throws -> [Value] {
        guard case let .array(items) = self[index] else { throw BuiltinError.operand(index + 1, "array", self[index]) }
        return items
    }

    func set(_ index: Int) throws -> [Value] {
        guard case let .set(items) = self[index] else { throw BuiltinError.operand(index + 1, "set", self[index]) }
        return items
    }

    func object(_ index: Int) throws -> [(key: Value, value: Value)] {
        guard case let .object(pairs) = self[index] else { throw BuiltinError.operand(index + 1, "object", self[index]) }
        return pairs
    }

    /// Elements of an array or set (strings where the builtin also takes a set of strings).
    func collection(_ index: Int) throws -> [Value] {
        switch self[index] {
        case let .array(items), let .set(items): return items
        default: throw BuiltinError.operand(index + 1, "one of {array, set}", self[index])
        }
    }

    func strings(_ index: Int) throws -> [String] {
        try collection(index).map { value in
            guard case let .string(s) = value else { throw BuiltinError.operand(index + 1, "a collection of strings", value) }
            return s
        }
    }
}

/// Infix operators: comparisons, arithmetic, set algebra.
enum Operators {
    static func apply(_ op: String, _ a: Value, _ b: Value, strict: Bool) throws -> Value? {
        do {
            return try evaluate(op, a, b)
        } catch let error as BuiltinError {
            if error.isLimit { throw PolicyError(.limit, "\(op): \(error.message)") }
            if strict || error.alwaysFails { throw PolicyError(error.isTypeError ? .typeMismatch : .builtin, "\(op): \(error.message)") }
            return nil
        }
    }

    /// True when an arithmetic operator cannot take these operand types at all.
    static func isTypeMismatch(_ op: String, _ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.number, .number): return op == "|" || op == "&"
        case (.set, .set): return !["-", "|", "&"].contains(op)
        default: return true
        }
    }

    private static func evaluate(_ op: String, _ a: Value, _ b: Value) throws -> Value? {
        switch op {
        case "==": return .bool(a == b)
        case "!=": return .bool(a != b)
        case "<": return .bool(a < b)
        case "<=": return .bool(a < b || a == b)
        case ">": return .bool(b < a)
        case ">=": return .bool(b < a || a == b)
        case "|":
            guard case let .set(x) = a, case let .set(y) = b else {
                throw BuiltinError(message: "operands must be sets", isTypeError: true)
            }
            return .makeSet(x + y)
        case "&":
            guard case let .set(x) = a, case let .set(y) = b else {
                throw BuiltinError(message: "operands must be sets", isTypeError: true)
            }
            let other = Set(y)
            return .set(x.filter { other.contains($0) })
        case "-":
            if case let .set(x) = a, case let .set(y) = b {
                let other = Set(y)
                return .set(x.filter { !other.contains($0) })
            }
            return try arithmetic(op, a, b)
        default:
            return try arithmetic(op, a, b)
        }
    }

    private static func arithmetic(_ op: String, _ a: Value, _ b: Value) throws -> Value {
        guard case let .number(x) = a, case let .number(y) = b else {
            throw BuiltinError(message: "operands must be numbers", isTypeError: true)
        }
        do {
            switch op {
            case "+": return try ResultBounds.checked(.number(Number.add(x, y)))
            case "-": return try ResultBounds.checked(.number(Number.subtract(x, y)))
            case "*": return try ResultBounds.checked(.number(Number.multiply(x, y)))
            case "/": return try ResultBounds.checked(.number(Number.divide(x, y)))
            case "%": return try ResultBounds.checked(.number(Number.remainder(x, y)))
            default: break
            }
        } catch let error as Number.ArithmeticError {
            throw BuiltinError(error)
        }
        throw BuiltinError(message: "unknown operator \(op)")
    }
}

/// How large a value one builtin or operator may produce. A policy may build big values, but
/// not unboundedly: doubling a string, squaring an integer or padding to a width of a billion
/// would otherwise take the evaluation (and its memory) past any deadline in one step.
enum ResultBounds {
    static let maximumStringBytes = 4 << 20
    static let maximumIntegerBits = 8192

    static func checked(_ value: Value) throws -> Value {
        switch value {
        case let .string(text) where text.utf8.count > maximumStringBytes:
            throw BuiltinError(message: "result string is longer than \(maximumStringBytes) bytes", isLimit: true)
        case let .number(number):
            if case let .big(integer) = number.storage, integer.bitWidth > maximumIntegerBits {
                throw BuiltinError(message: "result integer is wider than \(maximumIntegerBits) bits", isLimit: true)
            }
            return value
        default:
            return value
        }
    }

    /// For builtins that can tell their result's size before building it.
    static func require(bytes: Int) throws {
        guard bytes <= maximumStringBytes else {
            throw BuiltinError(message: "result string would be longer than \(maximumStringBytes) bytes", isLimit: true)
        }
    }
}
