/// Typed field decoding on top of `WireReader`, shared by every ONNX message decoder.
///
/// Repeated scalars are accepted both packed and unpacked: protobuf requires parsers to accept
/// either, and converters really do emit unpacked attribute lists.
extension WireReader {
    mutating func expect(_ wireType: WireType, _ expected: WireType, field: String) throws {
        guard wireType == expected else {
            throw ModelLoadError.malformedProtobuf(
                offset: position, reason: "field \(field) has wire type \(wireType.rawValue), expected \(expected.rawValue)")
        }
    }

    mutating func readInt64(_ wireType: WireType, field: String) throws -> Int64 {
        try expect(wireType, .varint, field: field)
        return Int64(bitPattern: try readVarint())
    }

    mutating func readInt32(_ wireType: WireType, field: String) throws -> Int32 {
        try expect(wireType, .varint, field: field)
        // Negative int32 values are sign-extended to 64 bits on the wire; truncation restores them.
        return Int32(truncatingIfNeeded: Int64(bitPattern: try readVarint()))
    }

    mutating func readFloat(_ wireType: WireType, field: String) throws -> Float {
        try expect(wireType, .fixed32, field: field)
        return Float(bitPattern: try readFixed32())
    }

    mutating func readBytes(_ wireType: WireType, field: String, limits: DecodingLimits) throws -> [UInt8] {
        try expect(wireType, .lengthDelimited, field: field)
        let range = try readLengthDelimited()
        guard range.count <= limits.maxStringBytes else {
            throw ModelLoadError.limitExceeded(what: "length of \(field)", limit: limits.maxStringBytes, actual: range.count)
        }
        return Array(bytes[range])
    }

    mutating func readString(_ wireType: WireType, field: String, limits: DecodingLimits) throws -> String {
        let raw = try readBytes(wireType, field: field, limits: limits)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw ModelLoadError.malformedProtobuf(offset: position, reason: "field \(field) is not valid UTF-8")
        }
        return text
    }

    /// Appends one or many varints (packed or not) to `values`, bounded by `limit` elements.
    mutating func appendVarints(
        _ wireType: WireType, to values: inout [Int64], field: String, limit: Int
    ) throws {
        if wireType == .lengthDelimited {
            var packed = reader(for: try readLengthDelimited())
            while !packed.isAtEnd {
                try Self.checkCount(values.count + 1, limit: limit, field: field)
                values.append(Int64(bitPattern: try packed.readVarint()))
            }
        } else {
            try Self.checkCount(values.count + 1, limit: limit, field: field)
            values.append(try readInt64(wireType, field: field))
        }
    }

    mutating func appendFixed32(
        _ wireType: WireType, to values: inout [UInt32], field: String, limit: Int
    ) throws {
        if wireType == .lengthDelimited {
            let range = try readLengthDelimited()
            guard range.count % 4 == 0 else {
                throw ModelLoadError.malformedProtobuf(offset: range.lowerBound, reason: "packed \(field) is not a multiple of 4 bytes")
            }
            try Self.checkCount(values.count + range.count / 4, limit: limit, field: field)
            var packed = reader(for: range)
            values.reserveCapacity(values.count + range.count / 4)
            while !packed.isAtEnd { values.append(try packed.readFixed32()) }
        } else {
            try expect(wireType, .fixed32, field: field)
            try Self.checkCount(values.count + 1, limit: limit, field: field)
            values.append(try readFixed32())
        }
    }

    mutating func appendFixed64(
        _ wireType: WireType, to values: inout [UInt64], field: String, limit: Int
    ) throws {
        if wireType == .lengthDelimited {
            let range = try readLengthDelimited()
            guard range.count % 8 == 0 else {
                throw ModelLoadError.malformedProtobuf(offset: range.lowerBound, reason: "packed \(field) is not a multiple of 8 bytes")
            }
            try Self.checkCount(values.count + range.count / 8, limit: limit, field: field)
            var packed = reader(for: range)
            values.reserveCapacity(values.count + range.count / 8)
            while !packed.isAtEnd { values.append(try packed.readFixed64()) }
        } else {
            try expect(wireType, .fixed64, field: field)
            try Self.checkCount(values.count + 1, limit: limit, field: field)
            values.append(try readFixed64())
        }
    }

    static func checkCount(_ count: Int, limit: Int, field: String) throws {
        guard count <= limit else {
            throw ModelLoadError.limitExceeded(what: "elements in \(field)", limit: limit, actual: count)
        }
    }
}
