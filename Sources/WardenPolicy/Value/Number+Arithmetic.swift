import BigInt

/// Arithmetic as OPA does it: exact on integers of any size, otherwise in `BinaryFloat64`
/// with the result's shortest decimal. An integer too wide to hold (a `1e30000` literal) is an
/// error rather than a silently rounded float.
extension Number {
    struct ArithmeticError: Error {
        let message: String
        /// A size limit (an eval_limit_error), not a builtin error.
        var isLimit = false

        static let tooWide = ArithmeticError(message: "integer operand is wider than \(Number.maximumIntegerDigits) digits", isLimit: true)
        static let tooFar = ArithmeticError(
            message: "arithmetic on a number beyond 10^±\(Number.maximumArithmeticExponent) is refused", isLimit: true)
    }

    /// Both integers exactly (nil when either is not integral).
    private static func integers(_ a: Number, _ b: Number) throws(ArithmeticError) -> (BigInt, BigInt)? {
        guard a.isIntegral, b.isIntegral else { return nil }
        guard let x = a.bigInteger, let y = b.bigInteger else { throw ArithmeticError.tooWide }
        return (x, y)
    }

    static func add(_ a: Number, _ b: Number) throws(ArithmeticError) -> Number {
        if case let .integer(x) = a.storage, case let .integer(y) = b.storage {
            let (sum, overflow) = x.addingReportingOverflow(y)
            if !overflow { return Number(sum) }
        }
        if let (x, y) = try integers(a, b) { return Number(x + y) }
        return Number(computed: try a.binaryFloat() + b.binaryFloat())
    }

    static func subtract(_ a: Number, _ b: Number) throws(ArithmeticError) -> Number {
        if case let .integer(x) = a.storage, case let .integer(y) = b.storage {
            let (difference, overflow) = x.subtractingReportingOverflow(y)
            if !overflow { return Number(difference) }
        }
        if let (x, y) = try integers(a, b) { return Number(x - y) }
        return Number(computed: try a.binaryFloat() - b.binaryFloat())
    }

    static func multiply(_ a: Number, _ b: Number) throws(ArithmeticError) -> Number {
        if case let .integer(x) = a.storage, case let .integer(y) = b.storage {
            let (product, overflow) = x.multipliedReportingOverflow(by: y)
            if !overflow { return Number(product) }
        }
        if let (x, y) = try integers(a, b) { return Number(x * y) }
        return Number(computed: try a.binaryFloat() * b.binaryFloat())
    }

    /// An integer quotient only when 64-bit integers divide exactly and the dividend is not
    /// zero (OPA's `0 / -5` is `-0`); otherwise a float quotient, big integers included.
    static func divide(_ a: Number, _ b: Number) throws(ArithmeticError) -> Number {
        if case let .integer(x) = a.storage, case let .integer(y) = b.storage {
            guard y != 0 else { throw ArithmeticError(message: "divide by zero") }
            let (quotient, overflow) = x.dividedReportingOverflow(by: y)
            if x != 0, !overflow, x % y == 0 { return Number(quotient) }
        }
        let divisor = try b.binaryFloat()
        guard !divisor.isZero else { throw ArithmeticError(message: "divide by zero") }
        return Number(computed: try a.binaryFloat() / divisor)
    }

    /// Remainder with the dividend's sign, on integers only.
    static func remainder(_ a: Number, _ b: Number) throws(ArithmeticError) -> Number {
        guard let (x, y) = try integers(a, b) else { throw ArithmeticError(message: "modulo on floating-point number") }
        guard y != 0 else { throw ArithmeticError(message: "modulo by zero") }
        if case let .integer(i) = a.storage, case let .integer(j) = b.storage {
            let (remainder, overflow) = i.remainderReportingOverflow(dividingBy: j)
            return Number(overflow ? 0 : remainder)
        }
        return Number(x % y)
    }

    /// `sum` over numbers that are not all integers: one 64-bit float accumulation.
    static func floatSum(_ items: [Number]) throws(ArithmeticError) -> Number {
        var sum = BinaryFloat64.zero(negative: false)
        for item in items { sum = sum + (try item.binaryFloat()) }
        return Number(computed: sum)
    }

    /// `product` over numbers that are not all integers: OPA starts from `big.NewFloat(1)`,
    /// so the whole product is rounded to 53 bits at each step.
    static func floatProduct(_ items: [Number]) throws(ArithmeticError) -> Number {
        var product = BinaryFloat64.one(precision: 53)
        for item in items { product = product.multiplied(by: try item.binaryFloat(), precision: 53) }
        return Number(computed: product)
    }

    // MARK: abs, round, ceil, floor

    /// 64-bit integers are their own answer; anything else goes through the float as in OPA,
    /// so `abs(-1.10)` is `1.1` and `floor` of a 30-digit integer is its float's exact value.
    static func absolute(_ a: Number) throws(ArithmeticError) -> Number {
        if case let .integer(i) = a.storage { return Number(abs(BigInt(i))) }
        let x = try a.binaryFloat()
        return Number(computed: x.negative ? -x : x)
    }

    /// Half away from zero: `x ± 0.5` in the float, then truncated.
    static func round(_ a: Number) throws(ArithmeticError) -> Number {
        if case .integer = a.storage { return a.withoutText }
        let x = try a.binaryFloat()
        let half = BinaryFloat64(ExactDecimal(coefficient: 5, exponent: -1))
        return Number((x.negative ? x - half : x + half).truncatedInteger)
    }

    /// OPA's ceil truncates, then adds one unless the truncation is negative or exact — so
    /// `ceil(-0.5)` is 1 there, and here.
    static func ceiling(_ a: Number) throws(ArithmeticError) -> Number {
        if case .integer = a.storage { return a.withoutText }
        let x = try a.binaryFloat()
        let truncated = x.truncatedInteger
        return Number(truncated.signum() < 0 || x.isIntegral ? truncated : truncated + 1)
    }

    /// OPA's floor truncates, then subtracts one unless the truncation is non-negative or
    /// exact — so `floor(-0.5)` is 0 there, and here.
    static func floor(_ a: Number) throws(ArithmeticError) -> Number {
        if case .integer = a.storage { return a.withoutText }
        let x = try a.binaryFloat()
        let truncated = x.truncatedInteger
        return Number(truncated.signum() >= 0 || x.isIntegral ? truncated : truncated - 1)
    }

    /// The same value printed canonically (OPA's integer results print as integers).
    public var withoutText: Number {
        switch storage {
        case let .integer(i): Number(i)
        case let .big(b): Number(b)
        case let .decimal(d): Number(d)
        }
    }
}

extension BinaryFloat64 {
    /// The integer part, toward zero.
    var truncatedInteger: BigInt {
        guard !isZero else { return 0 }
        let magnitude = BigUInt(mantissa)
        let integer = exponent >= 0 ? magnitude << exponent : (exponent > -64 ? magnitude >> -exponent : 0)
        return negative ? -BigInt(integer) : BigInt(integer)
    }

    var isIntegral: Bool {
        guard !isZero, exponent < 0 else { return true }
        guard exponent > -64 else { return false }
        return mantissa & ((UInt64(1) << UInt64(-exponent)) - 1) == 0
    }
}
