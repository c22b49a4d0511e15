/// Writes JSON text straight into bytes, for responses whose bulk is numbers: no
/// intermediate `JSONValue` tree. Non-finite numbers, which JSON cannot express, are written
/// as null, or as Triton writes them (`NaN`, `Infinity`, `-Infinity`) in inference answers.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Writes NaN and infinities as the tokens Triton's server writes and its clients read
    /// (rapidjson's kWriteNanAndInfFlag), instead of null.
    public let writesNonFiniteTokens: Bool

    public init(capacity: Int = 256, writesNonFiniteTokens: Bool = false) {
        bytes.reserveCapacity(capacity)
        self.writesNonFiniteTokens = writesNonFiniteTokens
    }

    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func string(_ text: String) {
        bytes.append(0x22)
        for byte in text.utf8 {
            switch byte {
            case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
            case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
            case ..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(0x22)
    }

    public mutating func integer(_ value: Int64) {
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func number(_ value: Float) {
        guard value.isFinite else { return nonFinite(Double(value)) }
        bytes.append(contentsOf: value.description.utf8)
    }

    public mutating func number(_ value: Double) {
        guard value.isFinite else { return nonFinite(value) }
        bytes.append(contentsOf: value.description.utf8)
    }

    private mutating func nonFinite(_ value: Double) {
        if !writesNonFiniteTokens {
            raw("null")
        } else if value.isNaN {
            raw("NaN")
        } else {
            if value < 0 { raw("-Infinity") } else { raw("Infinity") }
        }
    }

    public mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    public mutating func value(_ value: JSONValue) {
        bytes.append(contentsOf: value.serialized().utf8)
    }

    /// Writes `items` as a JSON array, each with `element`.
    public mutating func array<C: Collection>(_ items: C, _ element: (inout JSONWriter, C.Element) -> Void) {
        bytes.append(0x5B)
        var first = true
        for item in items {
            if !first { bytes.append(0x2C) }
            first = false
            element(&self, item)
        }
        bytes.append(0x5D)
    }
}
