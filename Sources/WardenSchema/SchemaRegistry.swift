import Foundation
import WardenJSON

/// Every schema resource Warden knows, by absolute URI: the documents added, their embedded
/// resources (`$id`), anchors and dynamic anchors. References resolve only against this
/// registry — never the network.
package final class SchemaRegistry: @unchecked Sendable {
    struct Located: @unchecked Sendable {
        let schema: JSONValue
        /// The base URI in force where this schema sits; the schema's own `$id`, if any, is
        /// applied on top of it when it is evaluated.
        let base: URL
    }

    private(set) var resources: [String: Located] = [:]
    private(set) var anchors: [String: Located] = [:]
    private(set) var dynamicAnchors: [String: Located] = [:]
    /// Whether any schema here uses `unevaluatedProperties` or `unevaluatedItems` (validation
    /// tracks annotations only then).
    private(set) var usesUnevaluated = false
    /// Every `$ref` and `$dynamicRef` seen, with the base it resolves against.
    private var references: [(reference: String, base: URL)] = []

    package init() {}

    /// Adds a schema document under `uri` (its own `$id` wins when present).
    package func add(_ document: JSONValue, uri: String) throws(SchemaError) {
        guard let base = URL(string: uri) else { throw SchemaError.badSchema("bad URI \(uri)") }
        // Retrievable under the URI it was loaded from, even when its `$id` names another.
        resources[Self.withoutFragment(base).absoluteString] = Located(schema: document, base: base)
        index(document, base: base, isResourceRoot: true)
    }

    private func index(_ schema: JSONValue, base: URL, isResourceRoot: Bool) {
        guard case let .object(members) = schema else {
            if case let .array(items) = schema { for item in items { index(item, base: base, isResourceRoot: false) } }
            return
        }
        let parent = base
        var base = base
        if case let .string(id)? = schema["$id"], let resolved = URL(string: id, relativeTo: base)?.absoluteURL {
            base = Self.withoutFragment(resolved)
            resources[base.absoluteString] = Located(schema: schema, base: parent)
        } else if isResourceRoot {
            resources[Self.withoutFragment(base).absoluteString] = Located(schema: schema, base: parent)
        }
        if schema["unevaluatedProperties"] != nil || schema["unevaluatedItems"] != nil { usesUnevaluated = true }
        for keyword in ["$ref", "$dynamicRef"] {
            if case let .string(reference)? = schema[keyword] { references.append((reference, base)) }
        }
        if case let .string(anchor)? = schema["$anchor"] {
            anchors[Self.withoutFragment(base).absoluteString + "#" + anchor] = Located(schema: schema, base: parent)
        }
        if case let .string(anchor)? = schema["$dynamicAnchor"] {
            let key = Self.withoutFragment(base).absoluteString + "#" + anchor
            anchors[key] = Located(schema: schema, base: parent)
            dynamicAnchors[key] = Located(schema: schema, base: parent)
        }
        for (key, value) in members where !Self.dataKeywords.contains(key) {
            index(value, base: base, isResourceRoot: false)
        }
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

    /// Keywords whose values are data, not schemas: never searched for `$id` or anchors.
    static let dataKeywords: Set<String> = ["enum", "const", "examples", "default"]

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
        var parent = root.base
        var base = root.base
        if case let .string(id)? = current["$id"], let resolved = URL(string: id, relativeTo: base)?.absoluteURL {
            base = Self.withoutFragment(resolved)
        }
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
            parent = base
            if case let .string(id)? = current["$id"], let resolved = URL(string: id, relativeTo: base)?.absoluteURL {
                base = Self.withoutFragment(resolved)
            }
        }
        return Located(schema: current, base: parent)
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
