import WardenJSON

/// What the output contract asks for a field before a response leaves the server
/// (`"x-warden-redact": "drop" | "mask" | "hash"` on the field's schema).
package enum RedactionAction: String, Sendable, Equatable, CaseIterable {
    /// The field is removed from every response.
    case drop
    /// Every value is replaced by a fixed marker.
    case mask
    /// Every value is replaced by a keyed hash, so equal values can still be correlated.
    case hash
}

/// The redactions an output schema declares, by top-level property name.
///
/// `x-warden-redact` is honoured only on `properties.<name>` of the root schema, where each
/// name is one output of the model. Anywhere else it is refused when the contract is
/// compiled: a redaction Warden would silently ignore is worse than none.
package struct RedactionPlan: Sendable, Equatable {
    package static let keyword = "x-warden-redact"

    package let actions: [String: RedactionAction]

    package init(outputSchema: JSONValue) throws(SchemaError) {
        var actions: [String: RedactionAction] = [:]
        if case let .object(properties)? = outputSchema["properties"] {
            for (name, schema) in properties {
                guard let marker = schema[Self.keyword] else { continue }
                guard case let .string(raw) = marker, let action = RedactionAction(rawValue: raw) else {
                    throw SchemaError.badSchema(
                        "\(Self.keyword) at /properties/\(JSONPointer.escape(name)) must be one of "
                            + RedactionAction.allCases.map(\.rawValue).joined(separator: ", "))
                }
                actions[name] = action
            }
        }
        try Self.refuseMisplacedMarkers(outputSchema, at: "", allowed: Set(actions.keys.map { "/properties/" + JSONPointer.escape($0) }))
        self.actions = actions
    }

    /// Finds markers outside the places they are honoured. Values of data keywords (`const`,
    /// `enum`, `default`, `examples`) are data, not schemas, and are not searched.
    private static func refuseMisplacedMarkers(_ schema: JSONValue, at path: String, allowed: Set<String>) throws(SchemaError) {
        switch schema {
        case let .object(members):
            for (key, value) in members {
                if key == keyword, !allowed.contains(path) {
                    throw SchemaError.badSchema(
                        "\(keyword) is honoured only on a top-level property of the output schema, not at \(path.isEmpty ? "/" : path)")
                }
                guard !SchemaRegistry.dataKeywords.contains(key) else { continue }
                try refuseMisplacedMarkers(value, at: path + "/" + JSONPointer.escape(key), allowed: allowed)
            }
        case let .array(items):
            for (index, item) in items.enumerated() {
                try refuseMisplacedMarkers(item, at: path + "/" + String(index), allowed: allowed)
            }
        default:
            break
        }
    }
}
