/// Values as gojsonschema sees and prints them: through Go's encoding/json into `any`, so
/// every number is a float64 (`1.0` and `1` are one value, `0` and `-0` are not), keys are
/// sorted and `<`, `>`, `&` are escaped.
enum GoJSONValue {
    struct OutOfRange: Error {
        let text: String
    }

    /// The Go JSON text of `value` after a float64 round trip.
    static func normalized(_ value: Value) throws(GoSchemaError) -> String {
        do {
            return try text(value)
        } catch {
            throw GoSchemaError(message: "json: cannot unmarshal number \(error.text) into Go value of type float64")
        }
    }

    static func text(_ value: Value) throws(OutOfRange) -> String {
        switch value {
        case .null: return "null"
        case let .bool(flag): return flag ? "true" : "false"
        case let .number(number):
            let literal = number.description
            guard let float = Double(literal), float.isFinite, let text = GoNumbers.jsonFloat(float) else {
                throw OutOfRange(text: literal)
            }
            return text
        case let .string(text): return quoted(text)
        case let .array(items), let .set(items):
            var parts: [String] = []
            for item in items { parts.append(try text(item)) }
            return "[" + parts.joined(separator: ",") + "]"
        case let .object(pairs):
            var members: [(String, String)] = []
            for (key, item) in pairs { members.append((key.stringValue ?? key.description, try text(item))) }
            members.sort { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
            return "{" + members.map { quoted($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
        }
    }

    /// Go's encoding/json string text, HTML-safe.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "<", ">", "&", "\u{2028}", "\u{2029}", "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// gojsonschema's type name of an instance: `integer` for any integral number (`1.0`, `1e2`).
    static func typeName(_ value: Value) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .string: "string"
        case .array, .set: "array"
        case .object: "object"
        case let .number(number): (ExactDecimal.parse(Substring(number.description))?.value.isIntegral ?? false) ? "integer" : "number"
        }
    }
}

extension String {
    /// Go's string equality: byte for byte (Swift's `==` also equates canonically equivalent
    /// spellings, "é" and "e\u{301}").
    func sameBytes(_ other: String) -> Bool { utf8.elementsEqual(other.utf8) }
}
