/// JSON text as OPA hands it to gojsonschema: valid JSON (Go's `json.Valid`), numbers kept
/// exactly as written (`1.0` is not `1` to a `maxLength`, `1e500` is a number), and a repeated
/// key keeps its last value, as Go's decoder does.
struct GoJSONDocument {
    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    static func parse(_ text: String) -> Value? {
        var parser = GoJSONDocument(bytes: Array(text.utf8))
        guard let value = parser.value() else { return nil }
        parser.skipSpace()
        return parser.index == parser.bytes.count ? value : nil
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private mutating func literal(_ word: String) -> Bool {
        let expected = Array(word.utf8)
        guard bytes.count - index >= expected.count, Array(bytes[index..<index + expected.count]) == expected else { return false }
        index += expected.count
        return true
    }

    private mutating func value() -> Value? {
        skipSpace()
        guard let byte = current, depth < 1000 else { return nil }
        switch byte {
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""): return string().map(Value.string)
        case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return literal("null") ? .null : nil
        default: return number()
        }
    }

    private mutating func object() -> Value? {
        index += 1
        depth += 1
        defer { depth -= 1 }
        var members: [(key: Value, value: Value)] = []
        skipSpace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .makeObject(members)
        }
        while true {
            skipSpace()
            guard current == UInt8(ascii: "\""), let key = string() else { return nil }
            skipSpace()
            guard current == UInt8(ascii: ":") else { return nil }
            index += 1
            guard let member = value() else { return nil }
            if let existing = members.firstIndex(where: { $0.key == .string(key) }) {
                members[existing].value = member
            } else {
                members.append((.string(key), member))
            }
            skipSpace()
            if current == UInt8(ascii: ",") {
                index += 1
            } else if current == UInt8(ascii: "}") {
                index += 1
                return .makeObject(members)
            } else {
                return nil
            }
        }
    }

    private mutating func array() -> Value? {
        index += 1
        depth += 1
        defer { depth -= 1 }
        var items: [Value] = []
        skipSpace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            guard let item = value() else { return nil }
            items.append(item)
            skipSpace()
            if current == UInt8(ascii: ",") {
                index += 1
            } else if current == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            } else {
                return nil
            }
        }
    }

    private mutating func string() -> String? {
        index += 1
        var scalars = String.UnicodeScalarView()
        var chunk: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: chunk, as: UTF8.self).unicodeScalars)
            chunk.removeAll()
        }
        while let byte = current {
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush()
                guard let escape = current else { return nil }
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    guard var code = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(code), literal("\\u"), let low = hex4(), (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default: return nil
                }
            default:
                guard byte >= 0x20 else { return nil }
                chunk.append(byte)
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard bytes.count - index >= 4, let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
            return nil
        }
        index += 4
        return code
    }

    private mutating func number() -> Value? {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        guard let first = current, GoYAMLScalar.isDigit(first) else { return nil }
        index += 1
        if first != UInt8(ascii: "0") { while let byte = current, GoYAMLScalar.isDigit(byte) { index += 1 } }
        if current == UInt8(ascii: ".") {
            index += 1
            guard let byte = current, GoYAMLScalar.isDigit(byte) else { return nil }
            while let byte = current, GoYAMLScalar.isDigit(byte) { index += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard let byte = current, GoYAMLScalar.isDigit(byte) else { return nil }
            while let byte = current, GoYAMLScalar.isDigit(byte) { index += 1 }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let number = (try? Number(text: text)) ?? nil else { return nil }
        return .number(number)
    }
}
