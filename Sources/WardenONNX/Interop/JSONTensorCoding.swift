import WardenJSON

/// Conversion between engine values and the JSON shapes people and scripts write:
/// nested arrays for tensors (null for NaN, "inf"/"-inf" for infinities), a list of objects
/// for a sequence of maps, an object for a map.
public enum JSONTensorCoding {
    public struct CodingError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Reads a JSON value as a tensor of `type`. The shape comes from the nesting, which must be rectangular.
    public static func tensor(from json: JSONValue, type: ElementType) throws -> Tensor {
        let (shape, leaves) = try shapeAndLeaves(json)
        let storage: TensorStorage
        switch type {
        case .float: storage = .float(try leaves.map { Float(try number($0)) })
        case .float16: storage = .float16(try leaves.map { Float16(try number($0)) })
        case .double: storage = .double(try leaves.map(number))
        case .int32:
            storage = .int32(
                try leaves.map { try Int32(exactly: try integer($0)).orThrow(CodingError(description: "value out of int32 range")) })
        case .int64: storage = .int64(try leaves.map(integer))
        case .uint8:
            storage = .uint8(
                try leaves.map { try UInt8(exactly: try integer($0)).orThrow(CodingError(description: "value out of uint8 range")) })
        case .int8:
            storage = .int8(
                try leaves.map { try Int8(exactly: try integer($0)).orThrow(CodingError(description: "value out of int8 range")) })
        case .bool:
            storage = .bool(
                try leaves.map {
                    guard case let .bool(b) = $0 else { throw CodingError(description: "expected true or false") }
                    return b
                })
        case .string:
            storage = .string(
                try leaves.map {
                    guard case let .string(s) = $0 else { throw CodingError(description: "expected a string") }
                    return s
                })
        }
        return Tensor(shape: shape, storage: storage)
    }

    /// The shape of nested JSON arrays (which must be rectangular) and their leaves in row-major order.
    public static func shapeAndLeaves(_ json: JSONValue) throws -> (shape: [Int], leaves: [JSONValue]) {
        var shape: [Int] = []
        var probe = json
        while case let .array(items) = probe {
            shape.append(items.count)
            guard let first = items.first else { break }
            probe = first
        }
        var leaves: [JSONValue] = []
        leaves.reserveCapacity(Tensor.elementCount(shape))
        try flatten(json, depth: 0, shape: shape, into: &leaves)
        return (shape, leaves)
    }

    private static func flatten(_ json: JSONValue, depth: Int, shape: [Int], into leaves: inout [JSONValue]) throws {
        if depth == shape.count {
            if case .array = json { throw CodingError(description: "arrays are nested unevenly") }
            leaves.append(json)
            return
        }
        guard case let .array(items) = json, items.count == shape[depth] else {
            throw CodingError(description: "arrays are not rectangular (expected \(shape[depth]) items at depth \(depth))")
        }
        for item in items { try flatten(item, depth: depth + 1, shape: shape, into: &leaves) }
    }

    private static func number(_ json: JSONValue) throws -> Double {
        guard let value = numericValue(json) else { throw CodingError(description: "expected a number (null for NaN)") }
        return value
    }

    /// A JSON number, or the forms non-finite floats take in JSON: null for NaN, "inf",
    /// "-inf", "nan" (and their spellings "+inf", "Infinity", "-Infinity", "NaN"); nil otherwise.
    public static func numericValue(_ json: JSONValue) -> Double? {
        switch json {
        case .null: .nan
        case let .integer(i): Double(i)
        case let .number(d): d
        case .string("inf"), .string("+inf"), .string("Infinity"): .infinity
        case .string("-inf"), .string("-Infinity"): -.infinity
        case .string("nan"), .string("NaN"): .nan
        default: nil
        }
    }

    private static func integer(_ json: JSONValue) throws -> Int64 {
        switch json {
        case let .integer(i): return i
        case let .number(d) where d == d.rounded() && abs(d) < 9.2e18: return Int64(d)
        default: throw CodingError(description: "expected an integer")
        }
    }

    /// Reads a JSON object as a map with keys of `key` type and values of `value` type.
    public static func map(from json: JSONValue, key: ElementType, value: ElementType) throws -> OrderedMap {
        guard case let .object(members) = json else { throw CodingError(description: "expected an object for a map input") }
        let keys: MapKeys
        if key == .int64 {
            keys = .int64(try members.map { try Int64($0.key).orThrow(CodingError(description: "map keys must be integers")) })
        } else {
            keys = .string(members.map(\.key))
        }
        let values = try tensor(from: .array(members.map(\.value)), type: value)
        return OrderedMap(keys: keys, values: values.storage)
    }

    /// Reads a graph input's JSON into a value of the input's kind.
    public static func value(from json: JSONValue, for input: GraphInput) throws -> Value {
        switch input.kind {
        case let .tensor(type): return .tensor(try tensor(from: json, type: type))
        case let .map(key, value): return .map(try map(from: json, key: key, value: value))
        default: throw CodingError(description: "input '\(input.name)' has a kind JSON cannot express")
        }
    }

    public static func json(_ value: Value) -> JSONValue {
        switch value {
        case let .tensor(tensor): return json(tensor)
        case let .map(map):
            let values = json(Tensor(shape: [map.values.count], storage: map.values))
            guard case let .array(items) = values else { return .null }
            return .object(Array(zip(keyStrings(map.keys), items)).map { (key: $0.0, value: $0.1) })
        case let .mapSequence(sequence):
            let names = keyStrings(sequence.keys)
            let width = names.count
            return .array(
                (0..<sequence.rows).map { row in
                    .object((0..<width).map { (key: names[$0], value: .number(Double(sequence.values[row * width + $0]))) })
                })
        }
    }

    private static func keyStrings(_ keys: MapKeys) -> [String] {
        switch keys {
        case let .int64(k): k.map { String($0) }
        case let .string(k): k
        }
    }

    public static func json(_ tensor: Tensor) -> JSONValue {
        let leaves: [JSONValue]
        switch tensor.storage {
        // Float's shortest text, read as a Double, prints as that same short text.
        case let .float(v): leaves = v.map { .number(Double($0.description) ?? Double($0)) }
        case let .double(v): leaves = v.map { .number($0) }
        case let .float16(v): leaves = v.map { .number(Double($0)) }
        case let .uint8(v): leaves = v.map { .integer(Int64($0)) }
        case let .int8(v): leaves = v.map { .integer(Int64($0)) }
        case let .int32(v): leaves = v.map { .integer(Int64($0)) }
        case let .int64(v): leaves = v.map { .integer($0) }
        case let .bool(v): leaves = v.map { .bool($0) }
        case let .string(v): leaves = v.map { .string($0) }
        }
        var position = 0
        func nest(_ depth: Int) -> JSONValue {
            if depth == tensor.shape.count {
                defer { position += 1 }
                return leaves[position]
            }
            return .array((0..<tensor.shape[depth]).map { _ in nest(depth + 1) })
        }
        return nest(0)
    }
}
