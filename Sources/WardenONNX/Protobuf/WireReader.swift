/// The protobuf wire types that can appear in an encoded message.
enum WireType: UInt8 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// A bounded, allocation-light reader over protobuf wire format.
///
/// It never trusts a length it reads: every length is checked against the bytes that remain
/// in the enclosing message before it is used, so a truncated or hostile file fails with an
/// offset instead of reading past its end.
struct WireReader {
    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(bytes: [UInt8]) {
        self.init(bytes: bytes, range: 0..<bytes.count)
    }

    init(bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    var isAtEnd: Bool { position >= end }

    /// Reads the next field key, or nil at the end of the message.
    mutating func nextField() throws -> (number: Int, wireType: WireType)? {
        if isAtEnd { return nil }
        let start = position
        let key = try readVarint()
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw ModelLoadError.malformedProtobuf(offset: start, reason: "wire type \(key & 7) does not exist")
        }
        let number = key >> 3
        guard number > 0, number <= 536_870_911 else {
            throw ModelLoadError.malformedProtobuf(offset: start, reason: "field number \(number) is out of range")
        }
        return (Int(number), wireType)
    }

    mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while true {
            guard position < end else {
                throw ModelLoadError.malformedProtobuf(offset: start, reason: "varint runs past the end of its message")
            }
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 {
                throw ModelLoadError.malformedProtobuf(offset: start, reason: "varint overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 {
                throw ModelLoadError.malformedProtobuf(offset: start, reason: "varint is longer than 10 bytes")
            }
        }
    }

    mutating func readFixed32() throws -> UInt32 {
        guard end - position >= 4 else {
            throw ModelLoadError.malformedProtobuf(offset: position, reason: "fixed32 runs past the end of its message")
        }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[position + index]) << (8 * UInt32(index)) }
        position += 4
        return value
    }

    mutating func readFixed64() throws -> UInt64 {
        guard end - position >= 8 else {
            throw ModelLoadError.malformedProtobuf(offset: position, reason: "fixed64 runs past the end of its message")
        }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
        position += 8
        return value
    }

    /// Reads a length prefix and returns the byte range it covers, checked against the message end.
    mutating func readLengthDelimited() throws -> Range<Int> {
        let start = position
        let length = try readVarint()
        guard length <= UInt64(end - position) else {
            throw ModelLoadError.malformedProtobuf(
                offset: start, reason: "length \(length) runs past the end of its message (\(end - position) bytes left)")
        }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    /// Skips a field this decoder does not know: unknown fields are legal protobuf and must not fail a load.
    mutating func skip(_ wireType: WireType) throws {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .startGroup, .endGroup:
            // ONNX is proto3-style and never uses groups; a group here means the file is not ONNX.
            throw ModelLoadError.malformedProtobuf(offset: position, reason: "groups are not used by ONNX")
        }
    }

    func reader(for range: Range<Int>) -> WireReader {
        WireReader(bytes: bytes, range: range)
    }
}
