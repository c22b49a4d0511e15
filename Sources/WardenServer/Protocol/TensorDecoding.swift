import WardenJSON
import WardenONNX
import WardenServing

/// Turns the data of one request tensor — JSON `data` (flat or nested) or a slice of the
/// binary section — into an engine tensor of the model input's type.
///
/// The request's datatype may differ from the model's only by a lossless widening (UINT8 into
/// INT64, FP16 into FP32, FP32 into FP64, ...); anything else is a 400 naming both types.
enum TensorDecoding {
    /// The engine type `datatype` may feed when the model wants `target`, or nil.
    static func canFeed(_ datatype: Datatype, into target: ElementType) -> Bool {
        switch (datatype, target) {
        case (.bool, .bool), (.bytes, .string): true
        case (.int8, .int32), (.int16, .int32), (.int32, .int32), (.uint8, .int32), (.uint16, .int32): true
        case (.int8, .int64), (.int16, .int64), (.int32, .int64), (.int64, .int64), (.uint8, .int64), (.uint16, .int64), (.uint32, .int64):
            true
        case (.fp16, .float), (.fp32, .float), (.fp16, .double), (.fp32, .double), (.fp64, .double): true
        case (.uint8, .uint8), (.int8, .int8), (.fp16, .float16): true
        default: false
        }
    }

    /// Reads JSON `data` holding exactly `count` elements of `datatype`.
    static func fromJSON(_ data: JSONValue, datatype: Datatype, count: Int, target: ElementType, input: String) throws -> TensorStorage {
        var leaves: [JSONValue] = []
        leaves.reserveCapacity(count)
        try flatten(data, into: &leaves, limit: count, input: input)
        guard leaves.count == count else {
            throw ServingFailure.badRequest(
                .elementCountMismatch, "input '\(input)': shape needs \(count) elements, data holds \(leaves.count)")
        }
        func fail(_ expected: String) -> ServingFailure {
            .badRequest(.invalidData, "input '\(input)': \(datatype.rawValue) data must be \(expected)")
        }
        switch target {
        case .bool:
            return .bool(
                try leaves.map {
                    if case let .bool(b) = $0 { return b }; throw fail("true or false")
                })
        case .string:
            return .string(
                try leaves.map {
                    if case let .string(s) = $0 { return s }; throw fail("strings")
                })
        case .int32, .int64, .uint8, .int8:
            let range = integerRange(datatype)
            let values = try leaves.map { leaf -> Int64 in
                if case let .number(d) = leaf, !d.isFinite {
                    throw ServingFailure.badRequest(
                        .invalidData, "input '\(input)': \(datatype.rawValue) data cannot hold NaN or infinities")
                }
                guard case let .integer(i) = leaf, range.contains(i) else {
                    throw fail("integers in \(range.lowerBound)...\(range.upperBound)")
                }
                return i
            }
            return narrowed(values, to: target)
        case .float, .double, .float16:
            // NaN is a missing value: the token `NaN` (as Triton reads it) or null. A finite
            // number too large for the declared type is refused rather than turned into an
            // infinity the contract would then see as a different value.
            let values = try leaves.map { leaf -> Double in
                let value: Double
                switch leaf {
                case let .integer(i): value = Double(i)
                case let .number(d): value = d
                case .null: return .nan
                default: throw fail("numbers (NaN or null for a missing value)")
                }
                guard !value.isFinite || fits(value, datatype) else {
                    throw ServingFailure.badRequest(.invalidData, "input '\(input)': a value is outside the range of \(datatype.rawValue)")
                }
                return value
            }
            return floats(values, as: target)
        }
    }

    /// JSON numbers (NaN for missing ones) as the storage of a float `target`.
    static func floats(_ values: [Double], as target: ElementType) -> TensorStorage {
        switch target {
        case .float: .float(values.map { Float($0) })
        case .float16: .float16(values.map { Float16($0) })
        default: .double(values)
        }
    }

    /// Whether a finite JSON number rounds to a finite value of `datatype`.
    static func fits(_ value: Double, _ datatype: Datatype) -> Bool {
        switch datatype {
        case .fp16: value.magnitude < 65520  // from there, rounding to nearest gives infinity
        case .fp32: Float(value).isFinite
        default: true
        }
    }

    private static func flatten(_ json: JSONValue, into leaves: inout [JSONValue], limit: Int, input: String) throws {
        if case let .array(items) = json {
            for item in items { try flatten(item, into: &leaves, limit: limit, input: input) }
        } else {
            guard leaves.count < limit else {
                throw ServingFailure.badRequest(.elementCountMismatch, "input '\(input)': data holds more elements than its shape")
            }
            leaves.append(json)
        }
    }

    static func integerRange(_ datatype: Datatype) -> ClosedRange<Int64> {
        switch datatype {
        case .int8: Int64(Int8.min)...Int64(Int8.max)
        case .int16: Int64(Int16.min)...Int64(Int16.max)
        case .int32: Int64(Int32.min)...Int64(Int32.max)
        case .uint8: 0...Int64(UInt8.max)
        case .uint16: 0...Int64(UInt16.max)
        case .uint32: 0...Int64(UInt32.max)
        default: Int64.min...Int64.max
        }
    }

    /// Reads `count` little-endian elements of `datatype` from `bytes` (Triton's binary data).
    static func fromBinary(_ bytes: ArraySlice<UInt8>, datatype: Datatype, count: Int, target: ElementType, input: String) throws
        -> TensorStorage
    {
        guard let width = datatype.width else {  // BYTES: length-prefixed strings
            return .string(try lengthPrefixedStrings(bytes, count: count, input: input))
        }
        guard bytes.count == count * width else {
            throw ServingFailure.badRequest(
                .binarySizeMismatch, "input '\(input)': \(bytes.count) bytes of binary data, shape needs \(count * width)")
        }
        let base = bytes.startIndex
        func word(_ index: Int, _ size: Int) -> UInt64 {
            var value: UInt64 = 0
            for byte in 0..<size { value |= UInt64(bytes[base + index * size + byte]) << (8 * UInt64(byte)) }
            return value
        }
        switch datatype {
        case .bool: return .bool((0..<count).map { bytes[base + $0] != 0 })
        case .fp32:
            let values = (0..<count).map { Float(bitPattern: UInt32(word($0, 4))) }
            return target == .float ? .float(values) : .double(values.map(Double.init))
        case .fp64: return .double((0..<count).map { Double(bitPattern: word($0, 8)) })
        case .fp16:
            // Every half is exactly a float and a double.
            let halves = (0..<count).map { Float16(bitPattern: UInt16(word($0, 2))) }
            switch target {
            case .float16: return .float16(halves)
            case .float: return .float(halves.map(Float.init))
            default: return .double(halves.map(Double.init))
            }
        default:
            let signed: Bool = [.int8, .int16, .int32, .int64].contains(datatype)
            let values = (0..<count).map { index -> Int64 in
                let raw = word(index, width)
                guard signed else { return Int64(bitPattern: raw) }
                let shift = UInt64(64 - 8 * width)
                return Int64(bitPattern: raw << shift) >> Int64(shift)
            }
            return narrowed(values, to: target)
        }
    }

    /// Integers already checked against the datatype's range, in the model's integer type.
    static func narrowed(_ values: [Int64], to target: ElementType) -> TensorStorage {
        switch target {
        case .uint8: .uint8(values.map { UInt8(truncatingIfNeeded: $0) })
        case .int8: .int8(values.map { Int8(truncatingIfNeeded: $0) })
        case .int32: .int32(values.map { Int32(truncatingIfNeeded: $0) })
        default: .int64(values)
        }
    }

    /// BYTES elements in binary form: each a 4-byte little-endian length then that many bytes.
    static func lengthPrefixedStrings(_ bytes: ArraySlice<UInt8>, count: Int, input: String) throws -> [String] {
        var strings: [String] = []
        strings.reserveCapacity(count)
        var position = bytes.startIndex
        for _ in 0..<count {
            guard bytes.endIndex - position >= 4 else {
                throw ServingFailure.badRequest(.binarySizeMismatch, "input '\(input)': BYTES data ends inside a length prefix")
            }
            let length = (0..<4).reduce(0) { $0 | Int(bytes[position + $1]) << (8 * $1) }
            position += 4
            guard bytes.endIndex - position >= length else {
                throw ServingFailure.badRequest(.binarySizeMismatch, "input '\(input)': BYTES element runs past the binary data")
            }
            guard let text = String(validating: bytes[position..<(position + length)], as: UTF8.self) else {
                throw ServingFailure.badRequest(.invalidData, "input '\(input)': BYTES elements must be UTF-8 text for this model")
            }
            strings.append(text)
            position += length
        }
        guard position == bytes.endIndex else {
            throw ServingFailure.badRequest(.binarySizeMismatch, "input '\(input)': binary data is longer than its \(count) BYTES elements")
        }
        return strings
    }
}
