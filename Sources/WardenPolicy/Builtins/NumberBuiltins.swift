import Foundation

extension Builtins {
    static let numberBuiltins: [String: Builtin] = [
        "abs": fixed(1) { .number(Number(abs(try $0.number(0).doubleValue))) },
        "round": fixed(1) { .number(Number((try $0.number(0).doubleValue).rounded(.toNearestOrAwayFromZero))) },
        "ceil": fixed(1) { .number(Number((try $0.number(0).doubleValue).rounded(.up))) },
        "floor": fixed(1) { .number(Number((try $0.number(0).doubleValue).rounded(.down))) },
        "numbers.range": fixed(2) { args in
            let a = try args.integer(0)
            let b = try args.integer(1)
            guard abs(b - a) <= 10_000_000 else { throw BuiltinError(message: "range too large") }
            return .array((a <= b ? Array(a...b) : Array((b...a).reversed())).map(Value.integer))
        },
        "to_number": fixed(1) { args in
            switch args[0] {
            case .null: return .integer(0)
            case let .bool(b): return .integer(b ? 1 : 0)
            case .number: return args[0]
            case let .string(s):
                if let i = Int64(s) { return .integer(i) }
                guard let d = Double(s), d.isFinite, !s.contains(where: { $0.isLetter && $0 != "e" && $0 != "E" }) else {
                    throw BuiltinError(message: "invalid syntax")
                }
                return .double(d)
            default: throw BuiltinError.operand(1, "one of {null, boolean, number, string}", args[0])
            }
        },
    ]

    static let aggregateBuiltins: [String: Builtin] = [
        "count": fixed(1) { args in
            switch args[0] {
            case let .array(items), let .set(items): return .integer(Int64(items.count))
            case let .object(pairs): return .integer(Int64(pairs.count))
            case let .string(s): return .integer(Int64(s.unicodeScalars.count))
            default: throw BuiltinError.operand(1, "one of {array, object, set, string}", args[0])
            }
        },
        "sum": fixed(1) { .number(try fold($0, from: Number(Int64(0)), Number.add)) },
        "product": fixed(1) { .number(try fold($0, from: Number(Int64(1)), Number.multiply)) },
        "max": fixed(1) { try $0.collection(0).max() },
        "min": fixed(1) { try $0.collection(0).min() },
        "sort": fixed(1) { .array(try $0.collection(0).sorted()) },
    ]

    /// Folds a collection of numbers (sum, product); anything else in it is a type error.
    static func fold(_ args: [Value], from start: Number, _ combine: (Number, Number) -> Number) throws -> Number {
        var total = start
        for item in try args.collection(0) {
            guard case let .number(n) = item else { throw BuiltinError.operand(1, "a collection of numbers", item) }
            total = combine(total, n)
        }
        return total
    }
}
