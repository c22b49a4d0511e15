import Foundation
import WardenJSON

/// One failed check: where in the instance (JSON Pointer), which keyword (and where in the
/// schema). Never the instance's value: errors go to clients and logs.
package struct ValidationError: Sendable, Equatable, CustomStringConvertible {
    package let instanceLocation: String
    package let keyword: String
    package let schemaLocation: String
    package let message: String

    package var description: String { "\(instanceLocation.isEmpty ? "/" : instanceLocation): \(keyword): \(message)" }
}

/// Validates instances against a JSON Schema held in a registry: draft 2020-12, 2019-09 or
/// draft-07, as its `$schema` (or the registry's default draft) says. Bounded in depth and
/// steps; annotations for `unevaluated*` are tracked as it goes.
package struct Validator: Sendable {
    package let registry: SchemaRegistry
    package let root: URL
    package var assertFormats = false
    package var maximumDepth = 256
    package var maximumSteps = 1_000_000

    /// The compiled root schema and every dynamic anchor it may reach.
    private let program: Program

    private final class Program: Sendable {
        let root: SchemaNode
        let dynamicAnchors: [String: SchemaNode.Reference]
        let collectsAnnotations: Bool

        init(root: SchemaNode, dynamicAnchors: [String: SchemaNode.Reference], collectsAnnotations: Bool) {
            self.root = root
            self.dynamicAnchors = dynamicAnchors
            self.collectsAnnotations = collectsAnnotations
        }
    }

    /// `schema` becomes the root resource at `uri`; other resources must already be in
    /// `registry`. The schema is checked and compiled here, once.
    package init(schema: JSONValue, uri: String = "urn:warden:schema", registry: SchemaRegistry = SchemaRegistry()) throws(SchemaError) {
        self.registry = registry
        try registry.add(schema, uri: uri)
        guard let url = URL(string: uri) else { throw SchemaError.badSchema("bad URI \(uri)") }
        if case let .string(id)? = schema["$id"], let resolved = URL(string: id, relativeTo: url)?.absoluteURL {
            root = SchemaRegistry.withoutFragment(resolved)
        } else {
            root = url
        }
        var metaSchema: String?
        if case let .string(named)? = schema["$schema"] { metaSchema = named }
        try SchemaCheck.check(schema, draft: try registry.dialect(of: metaSchema).draft)
        guard let located = registry.resources[root.absoluteString] else { throw SchemaError.unresolvedReference(root.absoluteString) }
        var compiler = SchemaCompiler(registry: registry)
        let node = try compiler.compileRoot(located)
        program = Program(root: node, dynamicAnchors: compiler.dynamicAnchors, collectsAnnotations: registry.usesUnevaluated)
    }

    /// The column-by-column view of this schema, when it is a flat record (see `RecordPlan`).
    package var recordPlan: RecordPlan? { RecordPlan(root: program.root, assertFormats: assertFormats) }

    package func validate(_ instance: JSONValue) throws(SchemaError) -> [ValidationError] {
        var run = ValidationRun(
            dynamicAnchors: program.dynamicAnchors, assertFormats: assertFormats, maximumDepth: maximumDepth, maximumSteps: maximumSteps,
            collectsAnnotations: program.collectsAnnotations)
        return try run.validate(program.root, instance, dynamicScope: [root]).errors
    }
}

/// The result of validating one instance against one (sub)schema.
struct Outcome {
    var errors: [ValidationError] = []
    /// Property names evaluated successfully by this schema and its applicators.
    var evaluatedProperties: Set<String> = []
    /// Array indices evaluated successfully.
    var evaluatedItems: Set<Int> = []

    var isValid: Bool { errors.isEmpty }

    mutating func merge(annotations other: Outcome) {
        evaluatedProperties.formUnion(other.evaluatedProperties)
        evaluatedItems.formUnion(other.evaluatedItems)
    }
}
