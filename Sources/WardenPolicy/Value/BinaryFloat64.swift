import BigInt

/// A binary float with a 64-bit mantissa (or 53, see `precision`) and an unbounded exponent,
/// rounded to nearest even: what OPA computes non-integer arithmetic in (Go's `big.Float` at
/// the precision parsing a number's text gives). A result then becomes the shortest decimal
/// that reads back as the same float, so `0.1 + 0.2` is `0.3` and `1 / 3` is `0.33333333333333333334`.
struct BinaryFloat64: Equatable {
    /// Zero, or a mantissa exactly `precision` bits wide; the value is `mantissa × 2^exponent`.
    let mantissa: UInt64
    let exponent: Int
    let negative: Bool
    /// Bits of mantissa: 64, as parsing gives; 53 where OPA starts from `big.NewFloat`
    /// (`product`), whose precision then holds for the whole computation.
    let precision: Int

    static let parsingPrecision = 64

    private init(mantissa: UInt64, exponent: Int, negative: Bool, precision: Int) {
        self.mantissa = mantissa
        self.exponent = mantissa == 0 ? 0 : exponent
        self.negative = negative
        self.precision = precision
    }

    static func zero(negative: Bool, precision: Int = parsingPrecision) -> BinaryFloat64 {
        BinaryFloat64(mantissa: 0, exponent: 0, negative: negative, precision: precision)
    }

    /// The exact value 1 at `precision` (OPA's `big.NewFloat(1)` is 53 bits).
    static func one(precision: Int) -> BinaryFloat64 {
        BinaryFloat64(mantissa: UInt64(1) << UInt64(precision - 1), exponent: 1 - precision, negative: false, precision: precision)
    }

    var isZero: Bool { mantissa == 0 }

    /// Go's `MantExp`: the power of two with the value's magnitude in [½, 1) × 2^binaryExponent.
    var binaryExponent: Int { isZero ? 0 : exponent + precision }

    /// `magnitude × 2^exponent` (plus something below 2^exponent when `sticky`), rounded to
    /// `precision` bits, ties to even. Callers give at least two bits more whenever `sticky` is set.
    private static func rounded(
        _ magnitude: BigUInt, exponent: Int, sticky: Bool, negative: Bool, precision: Int
    ) -> BinaryFloat64 {
        let width = magnitude.bitWidth
        guard width > 0 else { return zero(negative: negative, precision: precision) }
        guard width > precision else {
            let shift = precision - width
            return BinaryFloat64(mantissa: UInt64(magnitude << shift), exponent: exponent - shift, negative: negative, precision: precision)
        }
        let shift = width - precision
        var kept = magnitude >> shift
        let dropped = magnitude - (kept << shift)
        let half = BigUInt(1) << (shift - 1)
        let roundsUp = dropped > half || (dropped == half && (sticky || kept[bitAt: 0]))
        var resultExponent = exponent + shift
        if roundsUp {
            kept += 1
            if kept.bitWidth > precision {
                kept >>= 1
                resultExponent += 1
            }
        }
        return BinaryFloat64(mantissa: UInt64(kept), exponent: resultExponent, negative: negative, precision: precision)
    }

    /// The float nearest an exact decimal, at the precision parsing gives (a zero keeps the
    /// sign it was written with: OPA's `-0.0` is a negative zero).
    init(_ decimal: ExactDecimal, negativeZero: Bool = false) {
        let precision = Self.parsingPrecision
        let magnitude = decimal.coefficient.magnitude
        let negative = decimal.isNegative || (decimal.isZero && negativeZero)
        if decimal.exponent >= 0 {
            self = Self.rounded(
                magnitude * BigUInt(10).power(decimal.exponent), exponent: 0, sticky: false, negative: negative, precision: precision)
        } else {
            let divisor = BigUInt(10).power(-decimal.exponent)
            let shift = max(0, precision + 2 + divisor.bitWidth - magnitude.bitWidth)
            let (quotient, remainder) = (magnitude << shift).quotientAndRemainder(dividingBy: divisor)
            self = Self.rounded(quotient, exponent: -shift, sticky: !remainder.isZero, negative: negative, precision: precision)
        }
    }

    private var signedMantissa: BigInt {
        let magnitude = BigInt(mantissa)
        return negative ? -magnitude : magnitude
    }

    // Results take the wider operand's precision, as Go's do for a fresh `big.Float`.

    static func + (x: BinaryFloat64, y: BinaryFloat64) -> BinaryFloat64 {
        let precision = max(x.precision, y.precision)
        if x.isZero && y.isZero { return zero(negative: x.negative && y.negative, precision: precision) }
        if x.isZero { return y.at(precision) }
        if y.isZero { return x.at(precision) }
        // Far apart, the smaller is below half an ulp of the larger and cannot move it.
        if x.binaryExponent - y.binaryExponent > 2 * precision + 2 { return x.at(precision) }
        if y.binaryExponent - x.binaryExponent > 2 * precision + 2 { return y.at(precision) }
        let common = min(x.exponent, y.exponent)
        let sum = (x.signedMantissa << (x.exponent - common)) + (y.signedMantissa << (y.exponent - common))
        // An exact zero sum is +0, as Go gives it when rounding to nearest.
        return rounded(sum.magnitude, exponent: common, sticky: false, negative: sum.signum() < 0, precision: precision)
    }

    static prefix func - (x: BinaryFloat64) -> BinaryFloat64 {
        BinaryFloat64(mantissa: x.mantissa, exponent: x.exponent, negative: !x.negative, precision: x.precision)
    }

    static func - (x: BinaryFloat64, y: BinaryFloat64) -> BinaryFloat64 { x + -y }

    static func * (x: BinaryFloat64, y: BinaryFloat64) -> BinaryFloat64 { x.multiplied(by: y, precision: max(x.precision, y.precision)) }

    /// The product rounded to `precision`, as Go's `z.Mul` into a `z` of that precision.
    func multiplied(by y: BinaryFloat64, precision: Int) -> BinaryFloat64 {
        let negative = self.negative != y.negative
        guard !isZero, !y.isZero else { return Self.zero(negative: negative, precision: precision) }
        return Self.rounded(
            BigUInt(mantissa) * BigUInt(y.mantissa), exponent: exponent + y.exponent, sticky: false, negative: negative,
            precision: precision)
    }

    /// The caller refuses a zero divisor first.
    static func / (x: BinaryFloat64, y: BinaryFloat64) -> BinaryFloat64 {
        let precision = max(x.precision, y.precision)
        let negative = x.negative != y.negative
        guard !x.isZero else { return zero(negative: negative, precision: precision) }
        let shift = 2 * precision + 2
        let (quotient, remainder) = (BigUInt(x.mantissa) << shift).quotientAndRemainder(dividingBy: BigUInt(y.mantissa))
        return rounded(
            quotient, exponent: x.exponent - y.exponent - shift, sticky: !remainder.isZero, negative: negative, precision: precision)
    }

    /// The same value at a precision at least as wide (exact: only zero bits are added).
    private func at(_ wider: Int) -> BinaryFloat64 {
        guard wider > precision, !isZero else {
            return BinaryFloat64(mantissa: mantissa, exponent: exponent, negative: negative, precision: max(wider, precision))
        }
        let shift = wider - precision
        return BinaryFloat64(mantissa: mantissa << UInt64(shift), exponent: exponent - shift, negative: negative, precision: wider)
    }
}
