import Foundation
import WardenJSON

/// Compiles the schemas of a registry into `SchemaNode`s once: every subschema is decoded a
/// single time, and `$ref`s are bound to the node they name (cycles included), so validation
/// never searches a JSON object or parses a URI.
struct SchemaCompiler {
    /// The same JSON object reached twice (through a `$ref`, or a cycle) compiles to one node.
    /// Objects are told apart by their storage, which the registry keeps alive and unchanged.
    private struct Key: Hashable {
        let storage: UInt
        let base: String
    }

    let registry: SchemaRegistry
    private var compiled: [Key: SchemaNode] = [:]
    /// Every `$dynamicAnchor` of the registry, by "resource#name".
    private(set) var dynamicAnchors: [String: SchemaNode.Reference] = [:]

    init(registry: SchemaRegistry) {
        self.registry = registry
    }

    /// Compiles the schema found at `located`, and every dynamic anchor it might jump to.
    mutating func compileRoot(_ located: SchemaRegistry.Located) throws(SchemaError) -> SchemaNode {
        let root = try compile(located.schema, base: located.base)
        for (key, anchor) in registry.dynamicAnchors {
            dynamicAnchors[key] = try bind(anchor)
        }
        return root
    }

    private mutating func bind(_ located: SchemaRegistry.Located) throws(SchemaError) -> SchemaNode.Reference {
        SchemaNode.Reference(
            target: try compile(located.schema, base: located.base), failure: nil, targetBase: located.base,
            targetHasID: located.schema["$id"] != nil)
    }

    private mutating func reference(_ text: String, base: URL) throws(SchemaError) -> SchemaNode.Reference {
        do {
            return try bind(try registry.resolve(text, base: base))
        } catch SchemaError.unresolvedReference(let reference) {
            return SchemaNode.Reference(target: nil, failure: .unresolvedReference(reference), targetBase: base, targetHasID: false)
        }
    }

    mutating func compile(_ schema: JSONValue, base: URL) throws(SchemaError) -> SchemaNode {
        let node = SchemaNode()
        let members: [(key: String, value: JSONValue)]
        switch schema {
        case .bool(let value):
            node.constant = value ? .alwaysValid : .alwaysInvalid
            return node
        case .object(let list): members = list
        default: throw SchemaError.badSchema("a schema must be an object or a boolean")
        }
        let key = Key(storage: members.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }, base: base.absoluteString)
        if let existing = compiled[key] { return existing }
        compiled[key] = node

        var base = base
        if case .string(let id)? = schema["$id"], let resolved = URL(string: id, relativeTo: base)?.absoluteURL {
            base = SchemaRegistry.withoutFragment(resolved)
            node.resource = base
        }
        func list(_ value: JSONValue) throws(SchemaError) -> [SchemaNode] {
            guard case .array(let items) = value else { throw SchemaError.badSchema("expected an array of schemas") }
            var nodes: [SchemaNode] = []
            for item in items { nodes.append(try compile(item, base: base)) }
            return nodes
        }
        func map(_ value: JSONValue) throws(SchemaError) -> [(String, SchemaNode)] {
            guard case .object(let entries) = value else { throw SchemaError.badSchema("expected an object of schemas") }
            var nodes: [(String, SchemaNode)] = []
            for (name, subschema) in entries { nodes.append((name, try compile(subschema, base: base))) }
            return nodes
        }
        func names(_ value: JSONValue) -> [String] {
            guard case .array(let items) = value else { return [] }
            return items.compactMap { if case .string(let name) = $0 { name } else { nil } }
        }
        for (keyword, value) in members {
            switch keyword {
            case "type":
                if case .string(let name) = value { node.types = [name] } else { node.types = names(value) }
                node.typeSet = JSONKinds(names: node.types ?? [])
            case "enum": if case .array(let options) = value { node.enumValues = options }
            case "const": node.constValue = value
            case "maximum": node.maximum = value
            case "exclusiveMaximum": node.exclusiveMaximum = value
            case "minimum": node.minimum = value
            case "exclusiveMinimum": node.exclusiveMinimum = value
            case "multipleOf": node.multipleOf = value
            case "maxLength": node.maxLength = JSONTypes.integer(value)
            case "minLength": node.minLength = JSONTypes.integer(value)
            case "pattern": if case .string(let pattern) = value { node.pattern = try ECMAPattern(pattern) }
            case "format": if case .string(let format) = value { node.format = format }
            case "maxItems": node.maxItems = JSONTypes.integer(value)
            case "minItems": node.minItems = JSONTypes.integer(value)
            case "uniqueItems": node.uniqueItems = value == .bool(true)
            case "maxProperties": node.maxProperties = JSONTypes.integer(value)
            case "minProperties": node.minProperties = JSONTypes.integer(value)
            case "required": node.required = names(value)
            case "dependentRequired":
                if case .object(let entries) = value { node.dependentRequired = entries.map { ($0.key, names($0.value)) } }
            case "$ref":
                if case .string(let text) = value { node.reference = try reference(text, base: base) }
            case "$dynamicRef":
                if case .string(let text) = value {
                    let initial = try reference(text, base: base)
                    var anchor: String?
                    if let hash = text.firstIndex(of: "#"), case let name = String(text[text.index(after: hash)...]), !name.isEmpty,
                        !name.hasPrefix("/"), let located = try? registry.resolve(text, base: base),
                        located.schema["$dynamicAnchor"] == .string(name)
                    {
                        anchor = name
                    }
                    node.dynamicReference = SchemaNode.DynamicReference(initial: initial, anchorName: anchor)
                }
            case "allOf": node.allOf = try list(value)
            case "anyOf": node.anyOf = try list(value)
            case "oneOf": node.oneOf = try list(value)
            case "not": node.not = try compile(value, base: base)
            case "if": node.ifSchema = try compile(value, base: base)
            case "then": node.thenSchema = try compile(value, base: base)
            case "else": node.elseSchema = try compile(value, base: base)
            case "dependentSchemas": node.dependentSchemas = try map(value)
            case "properties": node.properties = try map(value)
            case "patternProperties":
                guard case .object(let entries) = value else { continue }
                for (pattern, subschema) in entries {
                    node.patternProperties.append((try ECMAPattern(pattern), try compile(subschema, base: base)))
                }
            case "additionalProperties": node.additionalProperties = try compile(value, base: base)
            case "propertyNames": node.propertyNames = try compile(value, base: base)
            case "prefixItems": node.prefixItems = try list(value)
            case "items": node.items = try compile(value, base: base)
            case "contains": node.contains = try compile(value, base: base)
            case "minContains": node.minContains = JSONTypes.integer(value)
            case "maxContains": node.maxContains = JSONTypes.integer(value)
            case "unevaluatedItems": node.unevaluatedItems = try compile(value, base: base)
            case "unevaluatedProperties": node.unevaluatedProperties = try compile(value, base: base)
            default: continue
            }
        }
        return node
    }
}
