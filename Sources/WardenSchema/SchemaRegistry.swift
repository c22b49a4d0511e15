import Foundation
import WardenJSON

/// Every schema resource Warden knows, by absolute URI: the documents added, their embedded
/// resources (`$id`), anchors and dynamic anchors, and the official meta-schemas (added when
/// first named). References resolve only against this registry — never the network.
package final class SchemaRegistry: @unchecked Sendable {
    struct Located: @unchecked Sendable {
        let schema: JSONValue
        /// The base URI in force where this schema sits; the schema's own `$id`, if any, is
        /// applied on top of it when it is evaluated.
        let base: URL
        /// The `$schema` in force where this schema sits (nil: the registry's default draft);
        /// a resource's own `$schema` is likewise applied on top of it.
        let metaSchema: String?
    }

    /// The draft of documents that do not name one with `$schema`.
    package let defaultDraft: Dialect.Draft
    private(set) var resources: [String: Located] = [:]
    private(set) var anchors: [String: Located] = [:]
    /// `$dynamicAnchor`s by "resource#name", and 2019-09's `$recursiveAnchor: true` by "resource#".
    private(set) var dynamicAnchors: [String: Located] = [:]
    /// Whether any schema here uses `unevaluatedProperties` or `unevaluatedItems` (validation
    /// tracks annotations only then).
    private(set) var usesUnevaluated = false
    /// Every `$ref`, `$dynamicRef` and `$recursiveRef` seen, with the base it resolves against.
    private var references: [(reference: String, base: URL)] = []
    private var dialects: [String: Dialect] = [:]

    package init(defaultDraft: Dialect.Draft = .draft2020_12) {
        self.defaultDraft = defaultDraft
    }

    /// Adds a schema document under `uri` (its own `$id` wins when present).
    package func add(_ document: JSONValue, uri: String) throws(SchemaError) {
        guard let base = URL(string: uri) else { throw SchemaError.badSchema("bad URI \(uri)") }
        var metaSchema: String?
        if case let .string(named)? = document["$schema"] { metaSchema = named }
        // Retrievable under the URI it was loaded from, even when its `$id` names another.
        resources[Self.withoutFragment(base).absoluteString] = Located(schema: document, base: base, metaSchema: metaSchema)
        index(document, base: base, metaSchema: metaSchema, isResourceRoot: true)
    }

    private func index(_ schema: JSONValue, base: URL, metaSchema: String?, isResourceRoot: Bool) {
        guard case let .object(members) = schema else {
            if case let .array(items) = schema {
                for item in items { index(item, base: base, metaSchema: metaSchema, isResourceRoot: false) }
            }
            return
        }
        let draft = indexingDraft(metaSchema)
        // Before 2019-09, `$ref` makes every sibling keyword, `$id` included, meaningless.
        if draft == .draft7, case let .string(reference)? = schema["$ref"] {
            references.append((reference, base))
            return
        }
        let located = Located(schema: schema, base: base, metaSchema: metaSchema)
        var base = base
        var metaSchema = metaSchema
        if case let .string(id)? = schema["$id"], let resolved = URL(string: id, relativeTo: base)?.absoluteURL {
            if !id.hasPrefix("#") {
                base = Self.withoutFragment(resolved)
                resources[base.absoluteString] = located
            }
            // Draft-07 names a location-independent identifier with a fragment `$id`.
            if draft == .draft7, let fragment = resolved.fragment, !fragment.isEmpty, !fragment.hasPrefix("/") {
                anchors[base.absoluteString + "#" + fragment] = located
            }
        } else if isResourceRoot {
            resources[Self.withoutFragment(base).absoluteString] = located
        }
        if schema["$id"] != nil || isResourceRoot, case let .string(named)? = schema["$schema"] { metaSchema = named }
        if schema["unevaluatedProperties"] != nil || schema["unevaluatedItems"] != nil { usesUnevaluated = true }
        for keyword in ["$ref", "$dynamicRef", "$recursiveRef"] {
            if case let .string(reference)? = schema[keyword] { references.append((reference, base)) }
        }
        let resource = Self.withoutFragment(base).absoluteString
        if draft != .draft7, case let .string(anchor)? = schema["$anchor"] {
            anchors[resource + "#" + anchor] = located
        }
        if draft == .draft2020_12, case let .string(anchor)? = schema["$dynamicAnchor"] {
            anchors[resource + "#" + anchor] = located
            dynamicAnchors[resource + "#" + anchor] = located
        }
        if draft == .draft2019_09, schema["$recursiveAnchor"] == .bool(true) {
            dynamicAnchors[resource + "#"] = located
        }
        // Only where schemas live: an `$id` inside an unknown keyword's value is data.
        for (key, value) in members {
            if Self.schemaKeywords.contains(key) {
                index(value, base: base, metaSchema: metaSchema, isResourceRoot: false)
            } else if Self.schemaMapKeywords.contains(key), case let .object(entries) = value {
                for (_, subschema) in entries {
                    index(subschema, base: base, metaSchema: metaSchema, isResourceRoot: false)
                }
            }
        }
    }

    /// Keywords whose values are data, not schemas.
    static let dataKeywords: Set<String> = ["enum", "const", "examples", "default"]

    /// Keywords whose value is a schema or an array of schemas, in any supported draft.
    static let schemaKeywords: Set<String> = [
        "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "items", "prefixItems", "additionalItems", "contains",
        "additionalProperties", "propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema",
    ]
    /// Keywords whose value maps names to schemas (`dependencies` also holds arrays of names).
    static let schemaMapKeywords: Set<String> = [
        "properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies",
    ]

    /// The draft whose identifier rules apply while indexing: a custom meta-schema's own
    /// `$schema` decides, when it is known by then.
    private func indexingDraft(_ metaSchema: String?) -> Dialect.Draft {
        guard let metaSchema else { return defaultDraft }
        if let draft = Dialect.Draft(metaSchema: metaSchema) { return draft }
        let bare = metaSchema.hasSuffix("#") ? String(metaSchema.dropLast()) : metaSchema
        if case let .string(parent)? = resources[bare]?.schema["$schema"], let draft = Dialect.Draft(metaSchema: parent) { return draft }
        return .draft2020_12
    }

    /// The dialect `metaSchema` (a `$schema` value) names: an official draft, or a meta-schema
    /// in this registry whose `$vocabulary` (or, lacking one, its own `$schema`) decides.
    /// Anything else is refused: a schema is never checked under rules its author did not mean.
    func dialect(of metaSchema: String?) throws(SchemaError) -> Dialect {
        guard let metaSchema else { return Dialect(defaultDraft) }
        if let draft = Dialect.Draft(metaSchema: metaSchema) { return Dialect(draft) }
        if let known = dialects[metaSchema] { return known }
        var uri = metaSchema
        for _ in 0..<8 {
            guard let document = try? resolve(uri, base: URL(string: "urn:warden:meta")!).schema,
                case let .string(parent)? = document["$schema"]
            else { break }
            let draft = Dialect.Draft(metaSchema: parent)
            if case let .object(vocabulary)? = document["$vocabulary"] {
                guard let draft else { break }
                let dialect = try Dialect(draft: draft, vocabulary: vocabulary)
                dialects[metaSchema] = dialect
                return dialect
            }
            if let draft {
                dialects[metaSchema] = Dialect(draft)
                return Dialect(draft)
            }
            uri = parent
        }
        throw SchemaError.badSchema(
            "$schema \(metaSchema) names no dialect Warden knows (draft 2020-12, 2019-09 or draft-07, or a meta-schema given with the schema)"
        )
    }

    /// The references that resolve to nothing in this registry. Contracts call this once all
    /// their resources are added, so a dangling `$ref` fails the load rather than a request.
    package func unresolvedReferences() -> [String] {
        references.compactMap { entry in
            do {
                _ = try resolve(entry.reference, base: entry.base)
                return nil
            } catch {
                return entry.reference
            }
        }
    }

    static func withoutFragment(_ url: URL) -> URL {
        var components = URLComponents(url: url, resolvingAgainstBaseURL: true)
        components?.fragment = nil
        return components?.url ?? url
    }

    /// Resolves a reference against `base`: a resource, an anchor, or a JSON Pointer fragment.
    func resolve(_ reference: String, base: URL) throws(SchemaError) -> Located {
        guard let url = URL(string: reference, relativeTo: base)?.absoluteURL else {
            throw SchemaError.badSchema("bad reference \(reference)")
        }
        let resource = Self.withoutFragment(url).absoluteString
        if resources[resource] == nil, let builtIn = MetaSchemas.documents[resource] {
            try add(builtIn, uri: resource)
        }
        let fragment = URLComponents(url: url, resolvingAgainstBaseURL: true)?.percentEncodedFragment ?? ""
        if fragment.isEmpty {
            guard let located = resources[resource] else { throw SchemaError.unresolvedReference(reference) }
            return located
        }
        if !fragment.hasPrefix("/") {
            guard let located = anchors[resource + "#" + fragment] else { throw SchemaError.unresolvedReference(reference) }
            return located
        }
        guard let root = resources[resource] else { throw SchemaError.unresolvedReference(reference) }
        return try pointer(fragment, from: root, reference: reference)
    }

    /// Follows a JSON Pointer inside a resource, switching base at every embedded `$id`.
    private func pointer(_ fragment: String, from root: Located, reference: String) throws(SchemaError) -> Located {
        var current = root.schema
        var parent = (base: root.base, metaSchema: root.metaSchema)
        var scope = parent
        func enter(_ schema: JSONValue) {
            guard case let .string(id)? = schema["$id"], let resolved = URL(string: id, relativeTo: scope.base)?.absoluteURL else { return }
            scope.base = Self.withoutFragment(resolved)
            if case let .string(named)? = schema["$schema"] { scope.metaSchema = named }
        }
        enter(current)
        for raw in fragment.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let token = (String(raw).removingPercentEncoding ?? String(raw)).replacingOccurrences(of: "~1", with: "/")
                .replacingOccurrences(of: "~0", with: "~")
            switch current {
            case .object:
                guard let next = current[token] else { throw SchemaError.unresolvedReference(reference) }
                current = next
            case let .array(items):
                guard let index = Int(token), items.indices.contains(index) else { throw SchemaError.unresolvedReference(reference) }
                current = items[index]
            default:
                throw SchemaError.unresolvedReference(reference)
            }
            parent = scope
            enter(current)
        }
        return Located(schema: current, base: parent.base, metaSchema: parent.metaSchema)
    }
}

/// Why a schema cannot be used.
package enum SchemaError: Error, Equatable, Sendable, CustomStringConvertible {
    case badSchema(String)
    case unresolvedReference(String)
    case limit(String)

    package var description: String {
        switch self {
        case let .badSchema(detail): "invalid schema: \(detail)"
        case let .unresolvedReference(reference): "unresolved reference \(reference)"
        case let .limit(detail): "validation limit: \(detail)"
        }
    }
}
