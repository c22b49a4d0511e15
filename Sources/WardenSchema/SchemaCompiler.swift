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
        let dialect: Dialect
    }

    let registry: SchemaRegistry
    private var compiled: [Key: SchemaNode] = [:]
    /// Every `$dynamicAnchor` of the registry, by "resource#name".
    private(set) var dynamicAnchors: [String: SchemaNode.Reference] = [:]

    init(registry: SchemaRegistry) {
        self.registry = registry
    }

    /// Compiles the schema found at `located`, and every dynamic anchor it might jump to
    /// (compiling one may add a built-in meta-schema with anchors of its own).
    mutating func compileRoot(_ located: SchemaRegistry.Located) throws(SchemaError) -> SchemaNode {
        let root = try compile(located.schema, base: located.base, dialect: try registry.dialect(of: located.metaSchema))
        while case let pending = registry.dynamicAnchors.filter({ dynamicAnchors[$0.key] == nil }), !pending.isEmpty {
            for (key, anchor) in pending {
                // An anchor in a document of an unknown dialect fails only a run that jumps to it.
                do {
                    dynamicAnchors[key] = try bind(anchor)
                } catch {
                    dynamicAnchors[key] = SchemaNode.Reference(target: nil, failure: error, targetBase: anchor.base, targetHasID: false)
                }
            }
        }
        return root
    }

    private mutating func bind(_ located: SchemaRegistry.Located) throws(SchemaError) -> SchemaNode.Reference {
        SchemaNode.Reference(
            target: try compile(located.schema, base: located.base, dialect: try registry.dialect(of: located.metaSchema)),
            failure: nil, targetBase: located.base, targetHasID: located.schema["$id"] != nil)
    }

    private mutating func reference(_ text: String, base: URL) throws(SchemaError) -> SchemaNode.Reference {
        do {
            return try bind(try registry.resolve(text, base: base))
        } catch SchemaError.unresolvedReference(let reference) {
            return SchemaNode.Reference(target: nil, failure: .unresolvedReference(reference), targetBase: base, targetHasID: false)
        }
    }

    mutating func compile(_ schema: JSONValue, base: URL, dialect: Dialect) throws(SchemaError) -> SchemaNode {
        let node = SchemaNode()
        let members: [(key: String, value: JSONValue)]
        switch schema {
        case .bool(let value):
            node.constant = value ? .alwaysValid : .alwaysInvalid
            return node
        case .object(let list): members = list
        default: throw SchemaError.badSchema("a schema must be an object or a boolean")
        }
        let key = Key(
            storage: members.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }, base: base.absoluteString, dialect: dialect)
        if let existing = compiled[key] { return existing }
        compiled[key] = node

        // Before 2019-09, `$ref` makes every sibling keyword, `$id` included, meaningless.
        if dialect.draft == .draft7, case .string(let text)? = schema["$ref"] {
            node.reference = try reference(text, base: base)
            return node
        }
        var base = base
        var dialect = dialect
        if case .string(let id)? = schema["$id"], !id.hasPrefix("#"), let resolved = URL(string: id, relativeTo: base)?.absoluteURL {
            base = SchemaRegistry.withoutFragment(resolved)
            node.resource = base
            if case .string(let named)? = schema["$schema"] { dialect = try registry.dialect(of: named) }
        }
        node.assertsFormat = dialect.formatAssertion
        node.containsMarksEvaluated = dialect.draft == .draft2020_12
        func list(_ value: JSONValue) throws(SchemaError) -> [SchemaNode] {
            guard case .array(let items) = value else { throw SchemaError.badSchema("expected an array of schemas") }
            var nodes: [SchemaNode] = []
            for item in items { nodes.append(try compile(item, base: base, dialect: dialect)) }
            return nodes
        }
        func map(_ value: JSONValue) throws(SchemaError) -> [(String, SchemaNode)] {
            guard case .object(let entries) = value else { throw SchemaError.badSchema("expected an object of schemas") }
            var nodes: [(String, SchemaNode)] = []
            for (name, subschema) in entries { nodes.append((name, try compile(subschema, base: base, dialect: dialect))) }
            return nodes
        }
        func names(_ value: JSONValue) -> [String] {
            guard case .array(let items) = value else { return [] }
            return items.compactMap { if case .string(let name) = $0 { name } else { nil } }
        }
        func one(_ value: JSONValue) throws(SchemaError) -> SchemaNode { try compile(value, base: base, dialect: dialect) }
        var additionalItems: JSONValue?
        for (keyword, value) in members where dialect.honours(keyword) {
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
            case "$dynamicRef", "$recursiveRef":
                if case .string(let text) = value { node.dynamicReference = try dynamicReference(keyword, text, base: base) }
            case "allOf": node.allOf = try list(value)
            case "anyOf": node.anyOf = try list(value)
            case "oneOf": node.oneOf = try list(value)
            case "not": node.not = try one(value)
            case "if": node.ifSchema = try one(value)
            case "then": node.thenSchema = try one(value)
            case "else": node.elseSchema = try one(value)
            case "dependentSchemas": node.dependentSchemas = try map(value)
            case "properties": node.properties = try map(value)
            case "patternProperties":
                guard case .object(let entries) = value else { continue }
                for (pattern, subschema) in entries {
                    node.patternProperties.append((try ECMAPattern(pattern), try one(subschema)))
                }
            case "additionalProperties": node.additionalProperties = try one(value)
            case "propertyNames": node.propertyNames = try one(value)
            case "prefixItems": node.prefixItems = try list(value)
            case "items":
                // Before 2020-12, an array of schemas is what `prefixItems` became.
                if case .array = value { node.prefixItems = try list(value) } else { node.items = try one(value) }
            case "additionalItems": additionalItems = value
            case "dependencies":
                guard case .object(let entries) = value else { continue }
                for (trigger, dependency) in entries {
                    if case .array = dependency {
                        node.dependentRequired.append((trigger, names(dependency)))
                    } else {
                        node.dependentSchemas.append((trigger, try one(dependency)))
                    }
                }
            case "contains": node.contains = try one(value)
            case "minContains": node.minContains = JSONTypes.integer(value)
            case "maxContains": node.maxContains = JSONTypes.integer(value)
            case "unevaluatedItems": node.unevaluatedItems = try one(value)
            case "unevaluatedProperties": node.unevaluatedProperties = try one(value)
            default: continue
            }
        }
        // `additionalItems` applies only after an array of `items`.
        if let additionalItems, case .array? = schema["items"] { node.items = try one(additionalItems) }
        return node
    }

    /// A `$dynamicRef` (2020-12) or `$recursiveRef` (2019-09). Either is dynamic only when its
    /// initial target declares the matching anchor (`$dynamicAnchor` of the fragment's name,
    /// or `$recursiveAnchor: true`); otherwise it is a plain reference.
    private mutating func dynamicReference(_ keyword: String, _ text: String, base: URL) throws(SchemaError) -> SchemaNode.DynamicReference
    {
        let initial = try reference(text, base: base)
        var anchor: String?
        if let located = try? registry.resolve(text, base: base) {
            if keyword == "$recursiveRef" {
                if located.schema["$recursiveAnchor"] == .bool(true) { anchor = "" }
            } else if let hash = text.firstIndex(of: "#"), case let name = String(text[text.index(after: hash)...]), !name.isEmpty,
                !name.hasPrefix("/"), located.schema["$dynamicAnchor"] == .string(name)
            {
                anchor = name
            }
        }
        return SchemaNode.DynamicReference(keyword: keyword, initial: initial, anchorName: anchor)
    }
}
