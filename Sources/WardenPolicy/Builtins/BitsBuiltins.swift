import BigInt

/// `bits.*` on integers of any size, with two's-complement semantics for negatives, as Go's
/// big.Int gives OPA.
extension Builtins {
    static let bitsBuiltins: [String: Builtin] = [
        "bits.and": fixed(2) { args in .number(Number(try bigInteger(args, 0) & (try bigInteger(args, 1)))) },
        "bits.or": fixed(2) { args in .number(Number(try bigInteger(args, 0) | (try bigInteger(args, 1)))) },
        "bits.xor": fixed(2) { args in .number(Number(try bigInteger(args, 0) ^ (try bigInteger(args, 1)))) },
        "bits.negate": fixed(1) { args in .number(Number(~(try bigInteger(args, 0)))) },
        "bits.lsh": fixed(2) { args in
            let shift = try shiftAmount(args)
            let value = try bigInteger(args, 0)
            guard value.bitWidth + shift <= ResultBounds.maximumIntegerBits else {
                throw BuiltinError(message: "result integer would be wider than \(ResultBounds.maximumIntegerBits) bits", isLimit: true)
            }
            return .number(Number(value << shift))
        },
        "bits.rsh": fixed(2) { args in
            // Arithmetic shift, rounding toward negative infinity as Go's big.Int does.
            let value = try bigInteger(args, 0)
            let shift = try shiftAmount(args)
            return .number(Number(value >= 0 ? value >> shift : -((-value - 1) >> shift) - 1))
        },
    ]

    private static func bigInteger(_ args: [Value], _ index: Int) throws -> BigInt {
        guard case let .number(number) = args[index] else { throw BuiltinError.operand(index + 1, "number", args[index]) }
        guard let integer = number.bigInteger else {
            var error = BuiltinError(
                message: "operand \(index + 1) must be integer number but got floating-point number", isTypeError: true)
            error.isStaticTypeError = false
            throw error
        }
        return integer
    }

    /// The second operand of a shift: a non-negative integer.
    private static func shiftAmount(_ args: [Value]) throws -> Int {
        let amount = try bigInteger(args, 1)
        guard amount >= 0 else {
            var error = BuiltinError(message: "operand 2 must be an unsigned integer number but got a negative integer", isTypeError: true)
            error.isStaticTypeError = false
            throw error
        }
        guard let small = Int(exactly: amount), small <= ResultBounds.maximumIntegerBits else {
            throw BuiltinError(message: "shift is wider than \(ResultBounds.maximumIntegerBits) bits", isLimit: true)
        }
        return small
    }
}
