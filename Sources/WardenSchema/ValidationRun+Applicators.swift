import Foundation
import WardenJSON

extension ValidationRun {
    /// Keywords that apply subschemas, collecting the annotations `unevaluated*` needs.
    mutating func applySubschemas(_ node: SchemaNode, _ instance: JSONValue, scope: [URL], outcome: inout Outcome) throws(SchemaError) {
        func fail(_ keyword: String, _ message: String) { outcome.errors.append(failure(keyword, message)) }
        func take(_ result: Outcome) {
            outcome.errors += result.errors
            if result.isValid { outcome.merge(annotations: result) }
        }

        // In-place applicators.
        for (index, subschema) in node.allOf.enumerated() { take(try sub(subschema, instance, scope, nil, "allOf", String(index))) }
        if let schemas = node.anyOf {
            var any = false
            var failures = 0
            for (index, subschema) in schemas.enumerated() {
                let result = try sub(subschema, instance, scope, nil, "anyOf", String(index))
                if result.isValid {
                    any = true
                    outcome.merge(annotations: result)
                } else {
                    failures += result.errors.count
                }
            }
            if !any { fail("anyOf", "must match at least one schema (\(failures) errors)") }
        }
        if let schemas = node.oneOf {
            var matches = 0
            for (index, subschema) in schemas.enumerated() {
                let result = try sub(subschema, instance, scope, nil, "oneOf", String(index))
                if result.isValid {
                    matches += 1
                    outcome.merge(annotations: result)
                }
            }
            if matches != 1 { fail("oneOf", "must match exactly one schema (matched \(matches))") }
        }
        if let negated = node.not, try sub(negated, instance, scope, nil, "not").isValid { fail("not", "must not match the schema") }
        if let condition = node.ifSchema {
            let result = try sub(condition, instance, scope, nil, "if")
            if result.isValid {
                outcome.merge(annotations: result)
                if let then = node.thenSchema { take(try sub(then, instance, scope, nil, "then")) }
            } else if let otherwise = node.elseSchema {
                take(try sub(otherwise, instance, scope, nil, "else"))
            }
        }

        switch instance {
        case let .object(members): try applyToObject(node, members, scope: scope, outcome: &outcome)
        case let .array(items): try applyToArray(node, items, scope: scope, outcome: &outcome)
        default: break
        }
        // Annotations of a failing schema do not count.
        if !outcome.isValid {
            outcome.evaluatedProperties = []
            outcome.evaluatedItems = []
        }
    }

    /// Validates `value` against a subschema under `keyword` (and `child`), the instance moved
    /// into `instanceToken` if given.
    private mutating func sub(
        _ subschema: SchemaNode, _ value: JSONValue, _ scope: [URL], _ instanceToken: String?, _ keyword: String, _ child: String? = nil
    ) throws(SchemaError) -> Outcome {
        try validate(subschema, value, dynamicScope: scope, instanceToken: instanceToken, keyword: keyword, child: child)
    }

    private mutating func applyToObject(
        _ node: SchemaNode, _ members: [(key: String, value: JSONValue)], scope: [URL], outcome: inout Outcome
    ) throws(SchemaError) {
        for (trigger, subschema) in node.dependentSchemas where members.contains(where: { $0.key == trigger }) {
            let result = try sub(subschema, .object(members), scope, nil, "dependentSchemas", trigger)
            outcome.errors += result.errors
            if result.isValid { outcome.merge(annotations: result) }
        }
        let hasApplicators =
            !node.properties.isEmpty || !node.patternProperties.isEmpty || node.additionalProperties != nil || node.propertyNames != nil
        if hasApplicators {
            for (name, value) in members {
                var covered = false
                func evaluated(_ result: Outcome) {
                    outcome.errors += result.errors
                    if result.isValid, collectsAnnotations { outcome.evaluatedProperties.insert(name) }
                }
                if let subschema = node.property(name) {
                    covered = true
                    evaluated(try sub(subschema, value, scope, name, "properties", name))
                }
                for (pattern, subschema) in node.patternProperties where pattern.matches(name) {
                    covered = true
                    evaluated(try sub(subschema, value, scope, name, "patternProperties", pattern.source))
                }
                if let additional = node.additionalProperties, !covered {
                    evaluated(try sub(additional, value, scope, name, "additionalProperties"))
                }
                if let names = node.propertyNames {
                    outcome.errors += try sub(names, .string(name), scope, name, "propertyNames").errors
                }
            }
        }
        if let unevaluated = node.unevaluatedProperties {
            for (name, value) in members where !outcome.evaluatedProperties.contains(name) {
                outcome.errors += try sub(unevaluated, value, scope, name, "unevaluatedProperties").errors
                outcome.evaluatedProperties.insert(name)
            }
        }
    }

    private mutating func applyToArray(_ node: SchemaNode, _ items: [JSONValue], scope: [URL], outcome: inout Outcome) throws(SchemaError) {
        func fail(_ keyword: String, _ message: String) { outcome.errors.append(failure(keyword, message)) }
        for (index, subschema) in node.prefixItems.enumerated() where index < items.count {
            outcome.errors += try sub(subschema, items[index], scope, String(index), "prefixItems", String(index)).errors
            if collectsAnnotations { outcome.evaluatedItems.insert(index) }
        }
        if let rest = node.items {
            for index in items.indices where index >= node.prefixItems.count {
                outcome.errors += try sub(rest, items[index], scope, String(index), "items").errors
                if collectsAnnotations { outcome.evaluatedItems.insert(index) }
            }
        }
        if let contains = node.contains {
            var matching = 0
            for index in items.indices where try sub(contains, items[index], scope, String(index), "contains").isValid {
                matching += 1
                if collectsAnnotations, node.containsMarksEvaluated { outcome.evaluatedItems.insert(index) }
            }
            let minimum = node.minContains ?? 1
            if matching < minimum { fail("contains", "must contain at least \(minimum) matching item(s), found \(matching)") }
            if let maximum = node.maxContains, matching > maximum {
                fail("maxContains", "must contain at most \(maximum) matching item(s), found \(matching)")
            }
        }
        if let unevaluated = node.unevaluatedItems {
            for index in items.indices where !outcome.evaluatedItems.contains(index) {
                outcome.errors += try sub(unevaluated, items[index], scope, String(index), "unevaluatedItems").errors
                outcome.evaluatedItems.insert(index)
            }
        }
    }
}
