/// Go's `strconv` number parsing and the float texts go-yaml and `encoding/json` write, as far
/// as OPA's YAML builtins show them.
enum GoNumbers {
    /// `strconv.ParseInt(text, 0, 64)`: a sign, then `0x`, `0o`, `0b` or a leading `0` (octal).
    static func parseInt(_ text: String) -> Int64? {
        var body = Substring(text)
        var negative = false
        if let first = body.first, first == "+" || first == "-" {
            negative = first == "-"
            body = body.dropFirst()
        }
        guard let magnitude = parseUInt(String(body)) else { return nil }
        if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// `strconv.ParseUint(text, 0, 64)`.
    static func parseUInt(_ text: String) -> UInt64? {
        var digits = Substring(text)
        guard !digits.isEmpty else { return nil }
        var radix: UInt64 = 10
        if digits.first == "0" {
            let marker = digits.dropFirst().first?.lowercased()
            if digits.count >= 3, let marker, ["b", "o", "x"].contains(marker) {
                radix = marker == "b" ? 2 : marker == "o" ? 8 : 16
                digits = digits.dropFirst(2)
            } else {
                radix = 8
                digits = digits.dropFirst()
            }
        }
        var value: UInt64 = 0
        for character in digits {
            guard let digit = character.hexDigitValue.map(UInt64.init), digit < radix else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: radix)
            let (sum, carry) = shifted.addingReportingOverflow(digit)
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return value
    }

    /// `strconv.ParseFloat(text, 64)` for decimal text; nil for a syntax error or a value out of
    /// range (which go-yaml then keeps as a string).
    static func parseFloat(_ text: String) -> Double? {
        guard isYAMLStyleFloat(text), let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
    static func isYAMLStyleFloat(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let whole = bytes.prefix(while: GoYAMLScalar.isDigit).count
        bytes = bytes.dropFirst(whole)
        var fraction = 0
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            fraction = bytes.prefix(while: GoYAMLScalar.isDigit).count
            bytes = bytes.dropFirst(fraction)
        }
        guard whole > 0 || fraction > 0 else { return false }
        if let e = bytes.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            let exponent = bytes.prefix(while: GoYAMLScalar.isDigit).count
            guard exponent > 0 else { return false }
            bytes = bytes.dropFirst(exponent)
        }
        return bytes.isEmpty
    }

    /// `strconv.FormatFloat(value, 'g', -1, 64)`: `1e+06`, `0.0001`, `1.5`; `.inf` and `.nan` as
    /// go-yaml writes them.
    static func yamlFloat(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? ".nan" : (value < 0 ? "-.inf" : ".inf") }
        return GoNumberText.float64(value)
    }

    /// `strconv.FormatFloat(value, 'g', -1, 32)`: go-yaml's text of a float map key, which
    /// sigs.k8s.io/yaml rounds to float32 first.
    static func yamlFloat32Key(_ value: Double) -> String {
        let single = Float(value)
        guard single.isFinite else { return single.isNaN ? ".nan" : (single < 0 ? "-.inf" : ".inf") }
        if single == 0 { return single.sign == .minus ? "-0" : "0" }
        // Swift prints a Float with the shortest digits that read back as that Float.
        guard let (decimal, _) = ExactDecimal.parse(Substring("\(single)")) else { return "\(single)" }
        return GoNumberText.shortestG(decimal)
    }

    /// `encoding/json`'s text of a float64: `'f'` form from 1e-6 up to 1e21, `'e'` form outside
    /// (`1e+21`, `1e-7`); NaN and infinities are an error, as in Go.
    static func jsonFloat(_ value: Double) -> String? {
        guard value.isFinite else { return nil }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        guard let (decimal, _) = ExactDecimal.parse(Substring("\(value)")) else { return nil }
        let magnitude = abs(value)
        let digits = decimal.digits
        let sign = decimal.isNegative ? "-" : ""
        let pointAfter = digits.count + decimal.exponent
        if magnitude < 1e-6 || magnitude >= 1e21 {
            let power = pointAfter - 1
            let mantissa = digits.count > 1 ? "\(digits.prefix(1)).\(digits.dropFirst())" : digits
            let exponent = power < 0 ? "-\(-power)" : "+" + (power < 10 ? "0\(power)" : "\(power)")
            return "\(sign)\(mantissa)e\(exponent)"
        }
        if pointAfter <= 0 { return "\(sign)0.\(String(repeating: "0", count: -pointAfter))\(digits)" }
        if pointAfter >= digits.count { return sign + digits + String(repeating: "0", count: pointAfter - digits.count) }
        return "\(sign)\(digits.prefix(pointAfter)).\(digits.dropFirst(pointAfter))"
    }
}
