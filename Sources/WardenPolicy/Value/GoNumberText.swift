/// Numbers printed as OPA prints them, which is Go's formatting: an arithmetic result in
/// `%g` form with the shortest digits (`1e-05`, `1.2345675e+06`, `0.00015`), except integral
/// results, which print all their digits (`1e30 + 0.5` is `1000000000000000000000000000000`).
enum GoNumberText {
    /// How OPA prints a computed number (`FloatToNumber`).
    static func computed(_ value: ExactDecimal, negativeZero: Bool = false) -> String {
        if value.isZero { return negativeZero ? "-0" : "0" }
        if value.isIntegral {
            return (value.isNegative ? "-" : "") + value.digits + String(repeating: "0", count: value.exponent)
        }
        return shortestG(value)
    }

    /// Go's `%g` with the shortest digits: exponent form below 1e-4 and from 1e+06 up, with a
    /// two-digit exponent at least.
    static func shortestG(_ value: ExactDecimal) -> String {
        if value.isZero { return "0" }
        let digits = value.digits
        let sign = value.isNegative ? "-" : ""
        let pointAfter = digits.count + value.exponent  // digits before the decimal point
        let power = pointAfter - 1
        if power < -4 || power >= 6 {
            let mantissa = digits.count > 1 ? "\(digits.prefix(1)).\(digits.dropFirst())" : digits
            let exponentDigits = String(abs(power))
            let paddedExponent = exponentDigits.count < 2 ? "0" + exponentDigits : exponentDigits
            return "\(sign)\(mantissa)e\(power < 0 ? "-" : "+")\(paddedExponent)"
        }
        if pointAfter <= 0 { return "\(sign)0.\(String(repeating: "0", count: -pointAfter))\(digits)" }
        if pointAfter >= digits.count { return sign + digits + String(repeating: "0", count: pointAfter - digits.count) }
        return "\(sign)\(digits.prefix(pointAfter)).\(digits.dropFirst(pointAfter))"
    }

    /// A float64 as Go's `%v` prints it (sprintf's `%v` converts numbers to float64).
    static func float64(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value < 0 ? "-Inf" : "+Inf") }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        // Swift's description has the shortest digits that read back; only the layout differs.
        guard let (decimal, _) = ExactDecimal.parse(Substring("\(value)")) else { return "\(value)" }
        return shortestG(decimal)
    }
}
