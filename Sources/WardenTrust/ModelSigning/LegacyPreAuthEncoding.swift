/// The bytes model_signing 0.2 signed instead of the DSSE pre-authentication encoding: a bug
/// put "DSSEV1" and Python's `repr` of the payload bytes (`b'…'` with escapes) into the signed
/// text, and the hash was always SHA-256. model_signing 1.x still verifies such signatures;
/// Warden accepts this form only for the predicate that release wrote.
enum LegacyPreAuthEncoding {
    static func encode(payload: [UInt8]) -> [UInt8] {
        let type = InTotoStatement.payloadType
        return Array("DSSEV1 \(type.utf8.count) \(type) \(payload.count) ".utf8) + pythonBytesRepr(payload)
    }

    /// Python's `repr(bytes)`: single quotes unless the bytes hold a `'` and no `"`.
    static func pythonBytesRepr(_ bytes: [UInt8]) -> [UInt8] {
        let quote: UInt8 = bytes.contains(UInt8(ascii: "'")) && !bytes.contains(UInt8(ascii: "\"")) ? UInt8(ascii: "\"") : UInt8(ascii: "'")
        var out: [UInt8] = [UInt8(ascii: "b"), quote]
        let hex = Array("0123456789abcdef".utf8)
        for byte in bytes {
            switch byte {
            case quote, UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "\t"): out += Array("\\t".utf8)
            case UInt8(ascii: "\n"): out += Array("\\n".utf8)
            case UInt8(ascii: "\r"): out += Array("\\r".utf8)
            case 0x20..<0x7f: out.append(byte)
            default: out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
            }
        }
        out.append(quote)
        return out
    }
}
