import Foundation
import WardenJSON

extension ValidationRun {
    /// Keywords that apply subschemas, collecting the annotations `unevaluated*` needs.
    mutating func applySubschemas(
        _ schema: JSONValue, _ instance: JSONValue, base: URL, scope: [URL], instancePath: String, schemaPath: String,
        outcome: inout Outcome
    ) throws(SchemaError) {
        func sub(_ subschema: JSONValue, _ value: JSONValue, _ path: String, _ keywordPath: String) throws(SchemaError) -> Outcome {
            try validate(subschema, value, base: base, dynamicScope: scope, instancePath: path, schemaPath: schemaPath + keywordPath)
        }
        func fail(_ keyword: String, _ message: String) {
            outcome.errors.append(
                ValidationError(
                    instanceLocation: instancePath, keyword: keyword, schemaLocation: schemaPath + "/" + keyword, message: message))
        }

        // In-place applicators.
        if case let .array(schemas)? = schema["allOf"] {
            for (index, subschema) in schemas.enumerated() {
                let result = try sub(subschema, instance, instancePath, "/allOf/\(index)")
                outcome.errors += result.errors
                if result.isValid { outcome.merge(annotations: result) }
            }
        }
        if case let .array(schemas)? = schema["anyOf"] {
            var any = false
            var collected: [ValidationError] = []
            for (index, subschema) in schemas.enumerated() {
                let result = try sub(subschema, instance, instancePath, "/anyOf/\(index)")
                if result.isValid {
                    any = true
                    outcome.merge(annotations: result)
                } else {
                    collected += result.errors
                }
            }
            if !any { fail("anyOf", "must match at least one schema (\(collected.count) errors)") }
        }
        if case let .array(schemas)? = schema["oneOf"] {
            var matches = 0
            for (index, subschema) in schemas.enumerated() {
                let result = try sub(subschema, instance, instancePath, "/oneOf/\(index)")
                if result.isValid {
                    matches += 1
                    outcome.merge(annotations: result)
                }
            }
            if matches != 1 { fail("oneOf", "must match exactly one schema (matched \(matches))") }
        }
        if let negated = schema["not"] {
            if try sub(negated, instance, instancePath, "/not").isValid { fail("not", "must not match the schema") }
        }
        if let condition = schema["if"] {
            let result = try sub(condition, instance, instancePath, "/if")
            if result.isValid {
                outcome.merge(annotations: result)
                if let then = schema["then"] {
                    let branch = try sub(then, instance, instancePath, "/then")
                    outcome.errors += branch.errors
                    if branch.isValid { outcome.merge(annotations: branch) }
                }
            } else if let otherwise = schema["else"] {
                let branch = try sub(otherwise, instance, instancePath, "/else")
                outcome.errors += branch.errors
                if branch.isValid { outcome.merge(annotations: branch) }
            }
        }

        // Objects.
        if case let .object(members) = instance {
            if case let .object(dependent)? = schema["dependentSchemas"] {
                for (name, subschema) in dependent where members.contains(where: { $0.key == name }) {
                    let result = try sub(subschema, instance, instancePath, "/dependentSchemas/\(JSONPointer.escape(name))")
                    outcome.errors += result.errors
                    if result.isValid { outcome.merge(annotations: result) }
                }
            }
            var covered = Set<String>()
            let properties = schema["properties"]
            var patterns: [(NSRegularExpression, JSONValue, String)] = []
            if case let .object(patternMembers)? = schema["patternProperties"] {
                for (pattern, subschema) in patternMembers { patterns.append((try ECMARegex.compile(pattern), subschema, pattern)) }
            }
            for (name, value) in members {
                let path = instancePath + "/" + JSONPointer.escape(name)
                if let subschema = properties?[name] {
                    covered.insert(name)
                    let result = try sub(subschema, value, path, "/properties/\(JSONPointer.escape(name))")
                    outcome.errors += result.errors
                    if result.isValid { outcome.evaluatedProperties.insert(name) }
                }
                for (regex, subschema, pattern) in patterns
                where regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil {
                    covered.insert(name)
                    let result = try sub(subschema, value, path, "/patternProperties/\(JSONPointer.escape(pattern))")
                    outcome.errors += result.errors
                    if result.isValid { outcome.evaluatedProperties.insert(name) }
                }
                if let additional = schema["additionalProperties"], !covered.contains(name) {
                    let result = try sub(additional, value, path, "/additionalProperties")
                    outcome.errors += result.errors
                    if result.isValid { outcome.evaluatedProperties.insert(name) }
                }
                if let names = schema["propertyNames"] {
                    let result = try sub(names, .string(name), path, "/propertyNames")
                    outcome.errors += result.errors
                }
            }
        }

        // Arrays.
        if case let .array(items) = instance {
            var prefix = 0
            if case let .array(prefixSchemas)? = schema["prefixItems"] {
                for (index, subschema) in prefixSchemas.enumerated() where index < items.count {
                    let result = try sub(subschema, items[index], instancePath + "/\(index)", "/prefixItems/\(index)")
                    outcome.errors += result.errors
                    outcome.evaluatedItems.insert(index)
                }
                prefix = prefixSchemas.count
            }
            if let rest = schema["items"] {
                for index in items.indices where index >= prefix {
                    let result = try sub(rest, items[index], instancePath + "/\(index)", "/items")
                    outcome.errors += result.errors
                    outcome.evaluatedItems.insert(index)
                }
            }
            if let contains = schema["contains"] {
                var matching = 0
                for index in items.indices {
                    if try sub(contains, items[index], instancePath + "/\(index)", "/contains").isValid {
                        matching += 1
                        outcome.evaluatedItems.insert(index)
                    }
                }
                let minimum = JSONTypes.integer(schema["minContains"]) ?? 1
                if matching < minimum { fail("contains", "must contain at least \(minimum) matching item(s), found \(matching)") }
                if let maximum = JSONTypes.integer(schema["maxContains"]), matching > maximum {
                    fail("maxContains", "must contain at most \(maximum) matching item(s), found \(matching)")
                }
            }
            if let unevaluated = schema["unevaluatedItems"] {
                for index in items.indices where !outcome.evaluatedItems.contains(index) {
                    let result = try sub(unevaluated, items[index], instancePath + "/\(index)", "/unevaluatedItems")
                    outcome.errors += result.errors
                    outcome.evaluatedItems.insert(index)
                }
            }
        }
        if case let .object(members) = instance, let unevaluated = schema["unevaluatedProperties"] {
            for (name, value) in members where !outcome.evaluatedProperties.contains(name) {
                let result = try sub(unevaluated, value, instancePath + "/" + JSONPointer.escape(name), "/unevaluatedProperties")
                outcome.errors += result.errors
                outcome.evaluatedProperties.insert(name)
            }
        }
        // Annotations of a failing schema do not count.
        if !outcome.isValid {
            outcome.evaluatedProperties = []
            outcome.evaluatedItems = []
        }
    }
}
