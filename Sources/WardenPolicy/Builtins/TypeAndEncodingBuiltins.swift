import Foundation

extension Builtins {
    static let typeBuiltins: [String: Builtin] = [
        "is_string": fixed(1) { if case .string = $0[0] { return .bool(true) } else { return .bool(false) } },
        "is_number": fixed(1) { if case .number = $0[0] { return .bool(true) } else { return .bool(false) } },
        "is_boolean": fixed(1) { if case .bool = $0[0] { return .bool(true) } else { return .bool(false) } },
        "is_array": fixed(1) { if case .array = $0[0] { return .bool(true) } else { return .bool(false) } },
        "is_set": fixed(1) { if case .set = $0[0] { return .bool(true) } else { return .bool(false) } },
        "is_object": fixed(1) { if case .object = $0[0] { return .bool(true) } else { return .bool(false) } },
        "is_null": fixed(1) { .bool($0[0] == .null) },
        "type_name": fixed(1) { .string($0[0].typeName) },
    ]

    static let encodingBuiltins: [String: Builtin] = [
        "json.marshal": fixed(1) { .string($0[0].description) },
        // Numbers keep their spelling (`1.10`, `1e400`) and a repeated key its last value, as in OPA.
        "json.unmarshal": fixed(1) { args in
            guard let value = GoJSONDocument.parse(try args.string(0)) else { throw BuiltinError(message: "invalid JSON") }
            return value
        },
        "json.is_valid": fixed(1) { args in .bool(GoJSONDocument.parse(try args.string(0)) != nil) },
        "base64.encode": fixed(1) { .string(Data(try $0.string(0).utf8).base64EncodedString()) },
        "base64.decode": fixed(1) { args in
            guard let data = Data(base64Encoded: try args.string(0)) else { throw BuiltinError(message: "illegal base64 data") }
            return .string(String(decoding: data, as: UTF8.self))
        },
        "base64.is_valid": fixed(1) { args in .bool(Data(base64Encoded: try args.string(0)) != nil) },
        "base64url.encode": fixed(1) { .string(urlSafe(Data(try $0.string(0).utf8).base64EncodedString())) },
        "base64url.encode_no_pad": fixed(1) {
            .string(urlSafe(Data(try $0.string(0).utf8).base64EncodedString()).trimmingCharacters(in: CharacterSet(charactersIn: "=")))
        },
        "base64url.decode": fixed(1) { args in
            guard let data = base64URLDecode(try args.string(0)) else { throw BuiltinError(message: "illegal base64 data") }
            return .string(String(decoding: data, as: UTF8.self))
        },
        "urlquery.encode": fixed(1) { .string(queryEscape(try $0.string(0))) },
        "urlquery.decode": fixed(1) { args in
            let text = try args.string(0).replacingOccurrences(of: "+", with: " ")
            guard let decoded = text.removingPercentEncoding else { throw BuiltinError(message: "invalid URL escape") }
            return .string(decoded)
        },
        "hex.encode": fixed(1) { .string(Builtins.hex(try $0.string(0).utf8)) },
    ]

    static func urlSafe(_ text: String) -> String {
        text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    static func base64URLDecode(_ text: String) -> Data? {
        var normalized = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let remainder = normalized.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { normalized += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: normalized)
    }

    /// Go's url.QueryEscape: unreserved bytes stay, space becomes +, the rest %XX.
    static func queryEscape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "): out += "+"
            default: out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
