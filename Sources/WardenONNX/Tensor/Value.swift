/// A value flowing along a graph edge: a tensor, a map, or a sequence of maps (ZipMap's output).
public enum Value: Sendable, Equatable {
    case tensor(Tensor)
    case map(OrderedMap)
    case mapSequence(MapSequence)

    public var tensor: Tensor? {
        if case let .tensor(t) = self { return t }
        return nil
    }
}

/// Keys of a map: ONNX maps are keyed by int64 or string.
public enum MapKeys: Sendable, Equatable {
    case int64([Int64])
    case string([String])

    public var count: Int {
        switch self {
        case let .int64(k): k.count
        case let .string(k): k.count
        }
    }
}

/// One map, keys in insertion order (ONNX maps are unordered; order is kept for stable output).
public struct OrderedMap: Sendable, Equatable {
    public var keys: MapKeys
    public var values: TensorStorage

    public init(keys: MapKeys, values: TensorStorage) {
        self.keys = keys
        self.values = values
    }
}

/// A sequence of maps that all share the same keys, stored as a row-major matrix of values.
/// ZipMap produces exactly this: one map per row, one key per class.
public struct MapSequence: Sendable, Equatable {
    public var keys: MapKeys
    /// `rows * keys.count` values, row-major.
    public var values: [Float]

    public init(keys: MapKeys, values: [Float]) {
        self.keys = keys
        self.values = values
    }

    public var rows: Int { keys.count == 0 ? 0 : values.count / keys.count }
}
