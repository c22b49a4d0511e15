import Foundation
import WardenJSON

/// The state of one validation: step and depth counters, and the keyword interpreter.
struct ValidationRun {
    let registry: SchemaRegistry
    let assertFormats: Bool
    let maximumDepth: Int
    let maximumSteps: Int
    var steps = 0
    var depth = 0

    init(registry: SchemaRegistry, assertFormats: Bool, maximumDepth: Int, maximumSteps: Int) {
        self.registry = registry
        self.assertFormats = assertFormats
        self.maximumDepth = maximumDepth
        self.maximumSteps = maximumSteps
    }

    mutating func validate(
        _ schema: JSONValue, _ instance: JSONValue, base: URL, dynamicScope: [URL], instancePath: String, schemaPath: String
    ) throws(SchemaError) -> Outcome {
        steps += 1
        guard steps <= maximumSteps else { throw SchemaError.limit("more than \(maximumSteps) steps") }
        depth += 1
        defer { depth -= 1 }
        guard depth <= maximumDepth else { throw SchemaError.limit("schemas nest deeper than \(maximumDepth)") }
        var outcome = Outcome()
        func fail(_ keyword: String, _ message: String) {
            outcome.errors.append(
                ValidationError(
                    instanceLocation: instancePath, keyword: keyword, schemaLocation: schemaPath + "/" + keyword, message: message))
        }
        switch schema {
        case .bool(true): return outcome
        case .bool(false):
            fail("false", "no value is allowed here")
            return outcome
        case .object: break
        default: throw SchemaError.badSchema("a schema must be an object or a boolean (at \(schemaPath.isEmpty ? "/" : schemaPath))")
        }
        var base = base
        var scope = dynamicScope
        if case let .string(id)? = schema["$id"], let resolved = URL(string: id, relativeTo: base)?.absoluteURL {
            base = SchemaRegistry.withoutFragment(resolved)
            if scope.last != base { scope.append(base) }
        }

        // References.
        if case let .string(reference)? = schema["$ref"] {
            let target = try registry.resolve(reference, base: base)
            let result = try validate(
                target.schema, instance, base: target.base, dynamicScope: Self.entering(target, scope), instancePath: instancePath,
                schemaPath: schemaPath + "/$ref")
            outcome.errors += result.errors
            if result.isValid { outcome.merge(annotations: result) }
        }
        if case let .string(reference)? = schema["$dynamicRef"] {
            var target = try registry.resolve(reference, base: base)
            // A dynamic anchor in the initial target makes the outermost matching one win.
            if let hash = reference.firstIndex(of: "#"), case let name = String(reference[reference.index(after: hash)...]),
                !name.isEmpty, !name.hasPrefix("/"), case .string(name)? = target.schema["$dynamicAnchor"]
            {
                for resource in scope {
                    if let dynamic = registry.dynamicAnchors[resource.absoluteString + "#" + name] {
                        target = dynamic
                        break
                    }
                }
            }
            let result = try validate(
                target.schema, instance, base: target.base, dynamicScope: Self.entering(target, scope), instancePath: instancePath,
                schemaPath: schemaPath + "/$dynamicRef")
            outcome.errors += result.errors
            if result.isValid { outcome.merge(annotations: result) }
        }

        try validateAssertions(schema, instance, instancePath: instancePath, fail: fail)
        try applySubschemas(
            schema, instance, base: base, scope: scope, instancePath: instancePath, schemaPath: schemaPath, outcome: &outcome)
        return outcome
    }

    /// The dynamic scope after following a reference: the target's resource is entered (a
    /// target with its own `$id` enters it when it is evaluated).
    static func entering(_ target: SchemaRegistry.Located, _ scope: [URL]) -> [URL] {
        guard target.schema["$id"] == nil, scope.last != target.base else { return scope }
        return scope + [target.base]
    }
}
