/// Why one inference failed. Load succeeded, so these are about the request's values.
public enum InferenceError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A graph input is missing, unknown, of the wrong type, or of the wrong shape.
    case invalidInput(name: String, reason: String)
    /// An operator met values it cannot compute with (shapes that do not broadcast, bad indices...).
    case invalidValue(node: String, reason: String)
    case unknownOutput(String)

    public var code: String {
        switch self {
        case .invalidInput: "invalid_input"
        case .invalidValue: "invalid_value"
        case .unknownOutput: "unknown_output"
        }
    }

    public var description: String {
        switch self {
        case let .invalidInput(name, reason): "input '\(name)': \(reason)"
        case let .invalidValue(node, reason): "\(node): \(reason)"
        case let .unknownOutput(name): "the model has no output named '\(name)'"
        }
    }
}
