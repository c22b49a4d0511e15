import BigInt
import Foundation

extension Builtins {
    static let numberBuiltins: [String: Builtin] = [
        "abs": fixed(1) { args in try arithmetic { .number(try Number.absolute(try args.number(0))) } },
        "round": fixed(1) { args in try arithmetic { try ResultBounds.checked(.number(try Number.round(try args.number(0)))) } },
        "ceil": fixed(1) { args in try arithmetic { try ResultBounds.checked(.number(try Number.ceiling(try args.number(0)))) } },
        "floor": fixed(1) { args in try arithmetic { try ResultBounds.checked(.number(try Number.floor(try args.number(0)))) } },
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
                // Kept as written, as OPA keeps it (`to_number("1.10")` prints 1.10).
                let parsed: Number?
                do throws(NumberRangeError) { parsed = try Number(text: s) } catch {
                    throw BuiltinError(message: "number \(error.text) is out of range")
                }
                guard let number = parsed else { throw BuiltinError(message: "invalid syntax") }
                return .number(number)
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
        "sum": fixed(1) { .number(try accumulate($0, identity: 0, exact: +, float: Number.floatSum)) },
        "product": fixed(1) { .number(try accumulate($0, identity: 1, exact: *, float: Number.floatProduct)) },
        "max": fixed(1) { try $0.collection(0).max() },
        "min": fixed(1) { try $0.collection(0).min() },
        "sort": fixed(1) { .array(try $0.collection(0).sorted()) },
    ]

    /// Folds a collection of numbers (sum, product); anything else in it is a type error.
    /// sum and product as OPA computes them: exactly when every item is an integer (each partial
    /// result held to the result bounds, so a product cannot grow unboundedly), otherwise one
    /// float accumulation over all the items.
    /// Runs `body`, turning an arithmetic refusal into the builtin error it is.
    static func arithmetic(_ body: () throws -> Value) throws -> Value {
        do { return try body() } catch let error as Number.ArithmeticError { throw BuiltinError(error) }
    }

    static func accumulate(
        _ args: [Value], identity: Int64, exact: (BigInt, BigInt) -> BigInt, float: ([Number]) throws(Number.ArithmeticError) -> Number
    ) throws -> Number {
        var numbers: [Number] = []
        for item in try args.collection(0) {
            guard case let .number(n) = item else { throw BuiltinError.operand(1, "a collection of numbers", item) }
            numbers.append(n)
        }
        guard numbers.allSatisfy(\.isIntegral) else {
            do { return try float(numbers) } catch { throw BuiltinError(error) }
        }
        var total = BigInt(identity)
        for n in numbers {
            guard let integer = n.bigInteger else { throw BuiltinError(Number.ArithmeticError.tooWide) }
            total = exact(total, integer)
            _ = try ResultBounds.checked(.number(Number(total)))
        }
        return Number(total)
    }
}
