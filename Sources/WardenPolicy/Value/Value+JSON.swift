import WardenJSON

extension Value {
    /// From a JSON document (input, data, json.unmarshal).
    public init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case let .bool(b): self = .bool(b)
        case let .integer(i): self = .integer(i)
        case let .number(d): self = .double(d)
        case let .numberText(text): self = .number(((try? Number(text: text)) ?? nil) ?? Number(Double(text) ?? 0))
        case let .string(s): self = .string(s)
        case let .array(items): self = .array(items.map(Value.init(json:)))
        case let .object(members): self = .makeObject(members.map { (key: Value.string($0.key), value: Value(json: $0.value)) })
        }
    }

    /// To JSON, as OPA prints results: sets become sorted arrays, non-string object keys their
    /// JSON text.
    public var json: JSONValue {
        switch self {
        case .null: return .null
        case let .bool(b): return .bool(b)
        case let .number(n):
            // Exact and as written: a big integer, a decimal, a literal such as 1.10.
            if case let .integer(i) = n.storage, n.text == nil { return .integer(i) }
            return .numberText(n.description)
        case let .string(s): return .string(s)
        case let .array(items), let .set(items): return .array(items.map(\.json))
        case let .object(pairs):
            return .object(
                pairs.map { pair in
                    if case let .string(key) = pair.key { return (key: key, value: pair.value.json) }
                    return (key: pair.key.description, value: pair.value.json)
                })
        }
    }

    /// Parses JSON text into a value (nil when it is not JSON).
    public static func parse(json text: String) -> Value? {
        guard let parsed = try? JSONParser.parse(text) else { return nil }
        return Value(json: parsed)
    }
}
