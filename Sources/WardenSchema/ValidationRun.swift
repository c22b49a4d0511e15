import Foundation
import WardenJSON

/// The state of one validation: step and depth counters, the current location, and the
/// keyword interpreter over compiled schemas.
struct ValidationRun {
    let dynamicAnchors: [String: SchemaNode.Reference]
    let assertFormats: Bool
    let maximumDepth: Int
    let maximumSteps: Int
    /// Whether evaluated properties and items must be tracked: only `unevaluated*` reads
    /// them, so a schema set without those keywords skips the bookkeeping.
    let collectsAnnotations: Bool
    var steps = 0
    var depth = 0
    /// Where validation is, as unescaped JSON Pointer tokens: pushed and popped around each
    /// subschema, turned into pointer strings only when an error is recorded.
    var instanceTokens: [String] = []
    var schemaTokens: [String] = []

    init(
        dynamicAnchors: [String: SchemaNode.Reference], assertFormats: Bool, maximumDepth: Int, maximumSteps: Int,
        collectsAnnotations: Bool
    ) {
        self.dynamicAnchors = dynamicAnchors
        self.assertFormats = assertFormats
        self.maximumDepth = maximumDepth
        self.maximumSteps = maximumSteps
        self.collectsAnnotations = collectsAnnotations
    }

    static func location(_ tokens: [String]) -> String {
        var pointer = ""
        for token in tokens { pointer += "/" + JSONPointer.escape(token) }
        return pointer
    }

    /// A failed keyword at the current location.
    func failure(_ keyword: String, _ message: String) -> ValidationError {
        ValidationError(
            instanceLocation: Self.location(instanceTokens), keyword: keyword,
            schemaLocation: Self.location(schemaTokens) + "/" + keyword, message: message)
    }

    /// Validates against a subschema reached through `keyword` (and `child`, its index or
    /// name under the keyword), with the instance moved into `instanceToken` if given.
    mutating func validate(
        _ node: SchemaNode, _ instance: JSONValue, dynamicScope: [URL], instanceToken: String?, keyword: String, child: String? = nil
    ) throws(SchemaError) -> Outcome {
        if let instanceToken { instanceTokens.append(instanceToken) }
        schemaTokens.append(keyword)
        if let child { schemaTokens.append(child) }
        let outcome = try validate(node, instance, dynamicScope: dynamicScope)
        if instanceToken != nil { instanceTokens.removeLast() }
        schemaTokens.removeLast(child == nil ? 1 : 2)
        return outcome
    }

    mutating func validate(_ node: SchemaNode, _ instance: JSONValue, dynamicScope: [URL]) throws(SchemaError) -> Outcome {
        steps += 1
        guard steps <= maximumSteps else { throw SchemaError.limit("more than \(maximumSteps) steps") }
        depth += 1
        defer { depth -= 1 }
        guard depth <= maximumDepth else { throw SchemaError.limit("schemas nest deeper than \(maximumDepth)") }
        var outcome = Outcome()
        switch node.constant {
        case .alwaysValid: return outcome
        case .alwaysInvalid:
            outcome.errors.append(failure("false", "no value is allowed here"))
            return outcome
        case .none: break
        }
        var scope = dynamicScope
        if let resource = node.resource, scope.last != resource { scope.append(resource) }

        if let reference = node.reference {
            guard let target = reference.target else { throw reference.failure ?? .badSchema("unbound $ref") }
            let result = try validate(
                target, instance, dynamicScope: Self.entering(reference, scope), instanceToken: nil, keyword: "$ref")
            outcome.errors += result.errors
            if result.isValid { outcome.merge(annotations: result) }
        }
        if let dynamic = node.dynamicReference {
            var reference = dynamic.initial
            guard reference.target != nil else { throw reference.failure ?? .badSchema("unbound \(dynamic.keyword)") }
            // The outermost resource in the dynamic scope with the anchor wins.
            if let name = dynamic.anchorName {
                for resource in scope {
                    if let outer = dynamicAnchors[resource.absoluteString + "#" + name] {
                        reference = outer
                        break
                    }
                }
            }
            // An outer anchor is a compiled resource, so it has a target; fail closed if not.
            guard let target = reference.target else { throw reference.failure ?? .badSchema("unbound \(dynamic.keyword)") }
            let result = try validate(
                target, instance, dynamicScope: Self.entering(reference, scope), instanceToken: nil, keyword: dynamic.keyword)
            outcome.errors += result.errors
            if result.isValid { outcome.merge(annotations: result) }
        }

        validateAssertions(node, instance, into: &outcome)
        try applySubschemas(node, instance, scope: scope, outcome: &outcome)
        return outcome
    }

    /// The dynamic scope after following a reference: the target's resource is entered (a
    /// target with its own `$id` enters it when it is evaluated).
    static func entering(_ reference: SchemaNode.Reference, _ scope: [URL]) -> [URL] {
        guard !reference.targetHasID, scope.last != reference.targetBase else { return scope }
        return scope + [reference.targetBase]
    }
}
