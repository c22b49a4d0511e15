import WardenJSON

/// Checks a schema's shape when it is compiled: keyword values of the wrong type and regular
/// expressions that do not compile are errors before any instance is seen.
enum SchemaCheck {
    static func check(_ schema: JSONValue) throws(SchemaError) {
        switch schema {
        case .bool: return
        case let .object(members):
            for (key, value) in members {
                switch key {
                case "pattern":
                    guard case let .string(pattern) = value else { throw SchemaError.badSchema("pattern must be a string") }
                    _ = try ECMARegex.compile(pattern)
                case "patternProperties":
                    guard case let .object(patterns) = value else { throw SchemaError.badSchema("patternProperties must be an object") }
                    for (pattern, subschema) in patterns {
                        _ = try ECMARegex.compile(pattern)
                        try check(subschema)
                    }
                case "properties", "$defs", "dependentSchemas":
                    guard case let .object(subschemas) = value else { throw SchemaError.badSchema("\(key) must be an object") }
                    for (_, subschema) in subschemas { try check(subschema) }
                case "allOf", "anyOf", "oneOf", "prefixItems":
                    guard case let .array(subschemas) = value, !subschemas.isEmpty || key == "prefixItems" else {
                        throw SchemaError.badSchema("\(key) must be a non-empty array")
                    }
                    for subschema in subschemas { try check(subschema) }
                case "items", "contains", "not", "if", "then", "else", "additionalProperties", "propertyNames", "unevaluatedItems",
                    "unevaluatedProperties":
                    try check(value)
                default:
                    continue
                }
            }
        default:
            throw SchemaError.badSchema("a schema must be an object or a boolean")
        }
    }
}
