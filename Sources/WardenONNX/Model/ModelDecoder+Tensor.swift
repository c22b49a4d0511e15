/// Decoding of `TensorProto` into an engine `Tensor`: dims, typed fields or little-endian
/// `raw_data`, checked for element count and type before any value is materialised.
extension ModelDecoder {
    /// `widenSmallIntegers` admits 8- and 16-bit integer tensors as int32: attribute tensors
    /// such as TreeEnsemble's uint8 `nodes_modes` use them, while graph values never may.
    func decodeTensor(_ reader: WireReader, widenSmallIntegers: Bool = false) throws -> NamedTensor {
        var reader = reader
        let limit = limits.maxTensorElements
        var name = ""
        var dims: [Int64] = []
        var dataType: Int32 = 0
        var floatBits: [UInt32] = []
        var doubleBits: [UInt64] = []
        var varints: [Int64] = []  // int32_data, int64_data and uint64_data all travel as varints
        var strings: [[UInt8]] = []
        var raw: Range<Int>?
        var external = false
        while let (field, wire) = try reader.nextField() {
            switch field {
            case 1: try reader.appendVarints(wire, to: &dims, field: "TensorProto.dims", limit: limits.maxRank)
            case 2: dataType = try reader.readInt32(wire, field: "TensorProto.data_type")
            case 4: try reader.appendFixed32(wire, to: &floatBits, field: "TensorProto.float_data", limit: limit)
            case 5, 7, 11: try reader.appendVarints(wire, to: &varints, field: "TensorProto data", limit: limit)
            case 6:
                try WireReader.checkCount(strings.count + 1, limit: limit, field: "TensorProto.string_data")
                strings.append(try reader.readBytes(wire, field: "TensorProto.string_data", limits: limits))
            case 8: name = try reader.readString(wire, field: "TensorProto.name", limits: limits)
            case 9:
                try reader.expect(wire, .lengthDelimited, field: "TensorProto.raw_data")
                raw = try reader.readLengthDelimited()
            case 10: try reader.appendFixed64(wire, to: &doubleBits, field: "TensorProto.double_data", limit: limit)
            case 13: _ = try reader.readLengthDelimited(); external = true
            case 14:
                let location = try reader.readInt32(wire, field: "TensorProto.data_location")
                external = external || location == 1
            default: try reader.skip(wire)
            }
        }
        if external { throw ModelLoadError.externalData(tensor: name) }
        guard dims.allSatisfy({ $0 >= 0 && $0 <= Int64(limit) }) else {
            throw ModelLoadError.invalidTensor(name: name, reason: "dims \(dims) contain a negative or oversized dimension")
        }
        let shape = dims.map { Int($0) }
        guard let count = Tensor.checkedElementCount(shape), count <= limit else {
            throw ModelLoadError.limitExceeded(what: "elements in tensor '\(name)'", limit: limit, actual: Int.max)
        }
        let smallIntegerWidths: [Int32: (width: Int, signed: Bool)] = [2: (1, false), 3: (1, true), 4: (2, false), 5: (2, true)]
        if widenSmallIntegers, let small = smallIntegerWidths[dataType] {
            return NamedTensor(
                name: name,
                tensor: Tensor(
                    shape: shape,
                    storage: .int32(
                        try Self.widen(raw.map { Array(reader.bytes[$0]) }, varints, small, count: count, name: name))))
        }
        guard let type = ElementType(onnx: dataType) else {
            throw ModelLoadError.unsupportedDataType(context: "tensor '\(name)'", dataType: dataType)
        }
        let source = TensorSource(
            raw: raw.map { Array(reader.bytes[$0]) }, floatBits: floatBits, doubleBits: doubleBits,
            varints: varints, strings: strings)
        let storage = try source.storage(type, count: count, name: name)
        return NamedTensor(name: name, tensor: Tensor(shape: shape, storage: storage))
    }

    private static func widen(
        _ raw: [UInt8]?, _ varints: [Int64], _ format: (width: Int, signed: Bool), count: Int, name: String
    ) throws -> [Int32] {
        guard let raw else {
            guard varints.count == count else {
                throw ModelLoadError.invalidTensor(name: name, reason: "holds \(varints.count) values, shape needs \(count)")
            }
            return varints.map { Int32(truncatingIfNeeded: $0) }
        }
        guard raw.count == count * format.width else {
            throw ModelLoadError.invalidTensor(name: name, reason: "raw_data holds \(raw.count) bytes, shape needs \(count * format.width)")
        }
        return (0..<count).map { i in
            if format.width == 1 { return format.signed ? Int32(Int8(bitPattern: raw[i])) : Int32(raw[i]) }
            let bits = UInt16(raw[2 * i]) | UInt16(raw[2 * i + 1]) << 8
            return format.signed ? Int32(Int16(bitPattern: bits)) : Int32(bits)
        }
    }
}

/// The data fields of one `TensorProto`, turned into typed storage of an exact element count.
private struct TensorSource {
    var raw: [UInt8]?
    var floatBits: [UInt32]
    var doubleBits: [UInt64]
    var varints: [Int64]
    var strings: [[UInt8]]

    func storage(_ type: ElementType, count: Int, name: String) throws -> TensorStorage {
        if let raw {
            guard type != .string else {
                throw ModelLoadError.invalidTensor(name: name, reason: "string tensors cannot use raw_data")
            }
            let width =
                switch type {
                case .double, .int64: 8
                case .bool, .uint8, .int8: 1
                case .float16: 2
                default: 4
                }
            guard raw.count == count * width else {
                throw ModelLoadError.invalidTensor(
                    name: name, reason: "raw_data holds \(raw.count) bytes, shape needs \(count * width)")
            }
            return Self.decodeRaw(raw, type, count: count)
        }
        func check(_ have: Int) throws {
            guard have == count else {
                throw ModelLoadError.invalidTensor(name: name, reason: "holds \(have) values, shape needs \(count)")
            }
        }
        switch type {
        case .float:
            try check(floatBits.count)
            return .float(floatBits.map(Float.init(bitPattern:)))
        case .double:
            try check(doubleBits.count)
            return .double(doubleBits.map(Double.init(bitPattern:)))
        case .uint8:
            try check(varints.count)
            return .uint8(varints.map { UInt8(truncatingIfNeeded: $0) })
        case .int8:
            try check(varints.count)
            return .int8(varints.map { Int8(truncatingIfNeeded: $0) })
        case .float16:
            // Half-precision values travel as their bit patterns in int32_data.
            try check(varints.count)
            return .float16(varints.map { Float16(bitPattern: UInt16(truncatingIfNeeded: $0)) })
        case .int32:
            try check(varints.count)
            return .int32(varints.map { Int32(truncatingIfNeeded: $0) })
        case .int64:
            try check(varints.count)
            return .int64(varints)
        case .bool:
            try check(varints.count)
            return .bool(varints.map { $0 != 0 })
        case .string:
            try check(strings.count)
            return .string(
                try strings.map { bytes in
                    guard let text = String(validating: bytes, as: UTF8.self) else {
                        throw ModelLoadError.invalidTensor(name: name, reason: "string element is not valid UTF-8")
                    }
                    return text
                })
        }
    }

    /// ONNX raw_data is little-endian regardless of the producing machine.
    private static func decodeRaw(_ raw: [UInt8], _ type: ElementType, count: Int) -> TensorStorage {
        func word32(_ i: Int) -> UInt32 {
            UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24
        }
        func word64(_ i: Int) -> UInt64 { UInt64(word32(i)) | UInt64(word32(i + 4)) << 32 }
        switch type {
        case .float: return .float((0..<count).map { Float(bitPattern: word32($0 * 4)) })
        case .int32: return .int32((0..<count).map { Int32(bitPattern: word32($0 * 4)) })
        case .double: return .double((0..<count).map { Double(bitPattern: word64($0 * 8)) })
        case .int64: return .int64((0..<count).map { Int64(bitPattern: word64($0 * 8)) })
        case .bool: return .bool(raw.map { $0 != 0 })
        case .uint8: return .uint8(raw)
        case .int8: return .int8(raw.map { Int8(bitPattern: $0) })
        case .float16: return .float16((0..<count).map { Float16(bitPattern: UInt16(raw[2 * $0]) | UInt16(raw[2 * $0 + 1]) << 8) })
        case .string: return .string([])  // unreachable: rejected by the caller
        }
    }
}
