import Foundation
import WardenJSON

/// Checks a schema's shape when it is compiled: keyword values of the wrong type and regular
/// expressions that do not compile are errors before any instance is seen.
enum SchemaCheck {
    static func check(_ schema: JSONValue, draft: Dialect.Draft) throws(SchemaError) {
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
                        try check(subschema, draft: draft)
                    }
                case "properties", "$defs", "dependentSchemas":
                    guard case let .object(subschemas) = value else { throw SchemaError.badSchema("\(key) must be an object") }
                    for (_, subschema) in subschemas { try check(subschema, draft: draft) }
                case "allOf", "anyOf", "oneOf", "prefixItems":
                    guard case let .array(subschemas) = value, !subschemas.isEmpty || key == "prefixItems" else {
                        throw SchemaError.badSchema("\(key) must be a non-empty array")
                    }
                    for subschema in subschemas { try check(subschema, draft: draft) }
                case "items" where draft != .draft2020_12:
                    // Before 2020-12, `items` may also be an array of schemas.
                    if case let .array(subschemas) = value {
                        for subschema in subschemas { try check(subschema, draft: draft) }
                    } else {
                        try check(value, draft: draft)
                    }
                case "items", "contains", "not", "if", "then", "else", "additionalProperties", "propertyNames", "unevaluatedItems",
                    "unevaluatedProperties":
                    try check(value, draft: draft)
                case "type":
                    let names: [JSONValue]
                    if case let .array(items) = value { names = items } else { names = [value] }
                    for name in names {
                        guard case let .string(text) = name, typeNames.contains(text) else {
                            throw SchemaError.badSchema("type must name JSON types (\(typeNames.sorted().joined(separator: ", ")))")
                        }
                    }
                case "enum":
                    guard case .array = value else { throw SchemaError.badSchema("enum must be an array") }
                case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
                    guard JSONTypes.decimal(value) != nil else { throw SchemaError.badSchema("\(key) must be a number") }
                case "multipleOf":
                    guard let divisor = JSONTypes.decimal(value), divisor > 0 else {
                        throw SchemaError.badSchema("multipleOf must be a number greater than 0")
                    }
                case "minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minContains", "maxContains":
                    guard let count = JSONTypes.integer(value), count >= 0 else {
                        throw SchemaError.badSchema("\(key) must be a non-negative integer")
                    }
                case "required":
                    try checkNames(value, keyword: key)
                case "dependentRequired":
                    guard case let .object(entries) = value else { throw SchemaError.badSchema("dependentRequired must be an object") }
                    for (_, names) in entries { try checkNames(names, keyword: key) }
                case "uniqueItems":
                    guard case .bool = value else { throw SchemaError.badSchema("uniqueItems must be a boolean") }
                case "$ref", "$dynamicRef", "$anchor", "$dynamicAnchor", "$id", "format":
                    guard case .string = value else { throw SchemaError.badSchema("\(key) must be a string") }
                default:
                    continue
                }
            }
        default:
            throw SchemaError.badSchema("a schema must be an object or a boolean")
        }
    }

    static let typeNames: Set<String> = ["null", "boolean", "object", "array", "number", "string", "integer"]

    private static func checkNames(_ value: JSONValue, keyword: String) throws(SchemaError) {
        guard case let .array(names) = value, names.allSatisfy({ if case .string = $0 { true } else { false } }) else {
            throw SchemaError.badSchema("\(keyword) must be an array of strings")
        }
    }
}
