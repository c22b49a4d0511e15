/// What the loader knows about a value's type before any request runs.
public enum ValueKind: Sendable, Equatable, CustomStringConvertible {
    case tensor(ElementType)
    case map(key: ElementType, value: ElementType)
    case mapSequence(key: ElementType)
    /// Not determinable at load (an upstream node could not be typed).
    case unknown

    public var elementType: ElementType? {
        if case let .tensor(type) = self { return type }
        return nil
    }

    public var description: String {
        switch self {
        case let .tensor(type): "tensor(\(type))"
        case let .map(key, value): "map(\(key), \(value))"
        case let .mapSequence(key): "seq(map(\(key), float))"
        case .unknown: "unknown"
        }
    }

    /// The kind of a runtime value, for checking fed inputs.
    init(of value: Value) {
        switch value {
        case let .tensor(t): self = .tensor(t.elementType)
        case let .map(m): self = .map(key: m.keys.elementType, value: m.values.elementType)
        case let .mapSequence(s): self = .mapSequence(key: s.keys.elementType)
        }
    }
}

extension MapKeys {
    var elementType: ElementType {
        switch self {
        case .int64: .int64
        case .string: .string
        }
    }
}
