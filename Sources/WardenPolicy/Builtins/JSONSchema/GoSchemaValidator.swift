import BigInt

/// gojsonschema's validation, in its order and with its scores: a failing `anyOf` or `oneOf`
/// reports the errors of its best-scoring branch, so the score is part of the answer. Where
/// gojsonschema walks a Go map (properties, document keys), Warden walks sorted keys, which is
/// always one of the orders OPA gives.
struct GoSchemaValidator {
    struct Result {
        var errors: [Value] = []
        var score = 0
        var isValid: Bool { errors.isEmpty }

        mutating func add(_ type: String, _ field: String, _ description: String) {
            let shown = field == "(Root)" ? field : String(field.dropFirst("(Root).".count))
            errors.append(
                .makeObject([
                    (.string("desc"), .string(description)), (.string("error"), .string("\(shown): \(description)")),
                    (.string("field"), .string(shown)), (.string("type"), .string(type)),
                ]))
            score -= 2
        }

        mutating func merge(_ other: Result) {
            errors += other.errors
            score += other.score
        }
    }

    /// `$ref`s being followed, by the instance they are on: a loop that never reads further into
    /// the document (`{"$ref": "#"}`) overflows OPA's stack; Warden stops it. A recursive schema
    /// over a deep document is not a loop: each level is another instance.
    private var refsFollowed: [String: Int] = [:]
    /// Schemas applied so far: `anyOf` over self-references can branch exponentially.
    private var steps = 0
    static let maximumSteps = 1_000_000

    static func validate(_ document: Value, _ schema: GoSchema) throws(GoSchemaError) -> Result {
        var validator = GoSchemaValidator()
        var result = Result()
        try validator.recurse(schema, document, &result, "(Root)")
        return result
    }

    private static func child(_ context: String, _ segment: String) -> String { context + "." + segment }

    private mutating func sub(_ schema: GoSchema, _ node: Value, _ context: String) throws(GoSchemaError) -> Result {
        var result = Result()
        try recurse(schema, node, &result, context)
        return result
    }

    private mutating func recurse(_ schema: GoSchema, _ node: Value, _ result: inout Result, _ context: String) throws(GoSchemaError) {
        steps += 1
        guard steps <= Self.maximumSteps else {
            throw GoSchemaError(message: "validation exceeded \(Self.maximumSteps) schema applications")
        }
        if let always = schema.always {
            if !always { result.add("false", context, "False always fails validation") }
            return
        }
        if let target = schema.ref {
            refsFollowed[context, default: 0] += 1
            defer { refsFollowed[context, default: 1] -= 1 }
            guard refsFollowed[context, default: 0] <= 8 else {
                throw GoSchemaError(message: "$ref \(schema.refText ?? "") loops without reading the document")
            }
            return try recurse(target, node, &result, context)
        }
        if !schema.types.isEmpty {
            let given = GoJSONValue.typeName(node)
            guard schema.types.contains(given) || given == "integer" && schema.types.contains("number") else {
                let expected = schema.types.count == 1 ? schema.types[0] : "[" + schema.types.joined(separator: ",") + "]"
                result.add("invalid_type", context, "Invalid type. Expected: \(expected), given: \(given)")
                return
            }
        }
        try composition(schema, node, &result, context)
        switch node {
        case let .number(number): numberKeywords(schema, number, &result, context)
        case let .array(items), let .set(items): try arrayKeywords(schema, items, &result, context)
        case let .object(pairs): try objectKeywords(schema, pairs, &result, context)
        default: break
        }
        try common(schema, node, &result, context)
        if case let .string(text) = node { stringKeywords(schema, text, &result, context) }
        if case let .object(pairs) = node {
            for (name, property) in schema.properties {
                guard let value = pairs.first(where: { $0.key == .string(name) })?.value else { continue }
                try recurse(property, value, &result, Self.child(context, name))
            }
        }
        result.score += 1
    }

    private mutating func composition(_ schema: GoSchema, _ node: Value, _ result: inout Result, _ context: String) throws(GoSchemaError) {
        if let branches = schema.anyOf {
            var best: Result?
            var valid = false
            for branch in branches {
                let outcome = try sub(branch, node, context)
                if outcome.isValid {
                    valid = true
                    break
                }
                if best == nil || outcome.score > best?.score ?? 0 { best = outcome }
            }
            if !valid {
                result.add("number_any_of", context, "Must validate at least one schema (anyOf)")
                if let best { result.merge(best) }
            }
        }
        if let branches = schema.oneOf {
            var best: Result?
            var valid = 0
            for branch in branches {
                let outcome = try sub(branch, node, context)
                if outcome.isValid {
                    valid += 1
                } else if valid == 0, best == nil || outcome.score > best?.score ?? 0 {
                    best = outcome
                }
            }
            if valid != 1 {
                result.add("number_one_of", context, "Must validate one and only one schema (oneOf)")
                if valid == 0, let best { result.merge(best) }
            }
        }
        if let branches = schema.allOf {
            var valid = 0
            for branch in branches {
                let outcome = try sub(branch, node, context)
                if outcome.isValid { valid += 1 }
                result.merge(outcome)
            }
            if valid != branches.count { result.add("number_all_of", context, "Must validate all the schemas (allOf)") }
        }
        if let negated = schema.not, try sub(negated, node, context).isValid {
            result.add("number_not", context, "Must not validate the schema (not)")
        }
        if case let .object(pairs) = node, !schema.dependencies.isEmpty {
            for key in Self.sortedKeys(pairs) {
                guard let dependency = schema.dependencies.first(where: { $0.name.sameBytes(key) }) else { continue }
                if let names = dependency.required {
                    for name in names where !pairs.contains(where: { $0.key == .string(name) }) {
                        result.add("missing_dependency", context, "Has a dependency on \(name)")
                    }
                } else if let dependent = dependency.schema {
                    try recurse(dependent, node, &result, context)
                }
            }
        }
        if let condition = schema.ifSchema {
            let holds = try sub(condition, node, context).isValid
            if holds, let then = schema.thenSchema {
                let outcome = try sub(then, node, context)
                if !outcome.isValid {
                    result.add("condition_then", context, "Must validate \"then\" as \"if\" was valid")
                    result.merge(outcome)
                }
            }
            if !holds, let otherwise = schema.elseSchema {
                let outcome = try sub(otherwise, node, context)
                if !outcome.isValid {
                    result.add("condition_else", context, "Must validate \"else\" as \"if\" was not valid")
                    result.merge(outcome)
                }
            }
        }
        result.score += 1
    }

    private func numberKeywords(_ schema: GoSchema, _ number: Number, _ result: inout Result, _ context: String) {
        guard let value = ExactDecimal.parse(Substring(number.description))?.value else { return }
        if let divisor = schema.multipleOf, !Self.isMultiple(value, of: divisor) {
            result.add("multiple_of", context, "Must be a multiple of \(GoNumberText.shortestG(divisor))")
        }
        if let maximum = schema.maximum {
            if schema.maximumIsExclusive, value >= maximum {
                result.add("number_lt", context, "Must be less than \(GoNumberText.shortestG(maximum))")
            } else if !schema.maximumIsExclusive, value > maximum {
                result.add("number_lte", context, "Must be less than or equal to \(GoNumberText.shortestG(maximum))")
            }
        }
        if let limit = schema.exclusiveMaximum, value >= limit {
            result.add("number_lt", context, "Must be less than \(GoNumberText.shortestG(limit))")
        }
        if let minimum = schema.minimum {
            if schema.minimumIsExclusive, value <= minimum {
                result.add("number_gt", context, "Must be greater than \(GoNumberText.shortestG(minimum))")
            } else if !schema.minimumIsExclusive, value < minimum {
                result.add("number_gte", context, "Must be greater than or equal to \(GoNumberText.shortestG(minimum))")
            }
        }
        if let limit = schema.exclusiveMinimum, value <= limit {
            result.add("number_gt", context, "Must be greater than \(GoNumberText.shortestG(limit))")
        }
        result.score += 1
    }

    /// Whether `value / divisor` is an integer, exactly (Go's big.Rat).
    private static func isMultiple(_ value: ExactDecimal, of divisor: ExactDecimal) -> Bool {
        let shift = value.exponent - divisor.exponent
        if shift >= 0 {
            return (value.coefficient * BigInt(10).power(shift)) % divisor.coefficient == 0
        }
        return value.coefficient % (divisor.coefficient * BigInt(10).power(-shift)) == 0
    }

    private mutating func arrayKeywords(_ schema: GoSchema, _ items: [Value], _ result: inout Result, _ context: String)
        throws(GoSchemaError)
    {
        if let each = schema.items {
            for (index, item) in items.enumerated() { result.merge(try sub(each, item, Self.child(context, String(index)))) }
        } else if let tuple = schema.tupleItems {
            for (index, item) in items.prefix(tuple.count).enumerated() {
                result.merge(try sub(tuple[index], item, Self.child(context, String(index))))
            }
            if tuple.count < items.count, let additional = schema.additionalItems {
                if additional.always == false {
                    result.add("array_no_additional_items", context, "No additional items allowed on array")
                } else if additional.always == nil {
                    for index in tuple.count..<items.count {
                        result.merge(try sub(additional, items[index], Self.child(context, String(index))))
                    }
                }
            }
        }
        if let least = schema.minItems, items.count < least {
            result.add("array_min_items", context, "Array must have at least \(least) items")
        }
        if let most = schema.maxItems, items.count > most {
            result.add("array_max_items", context, "Array must have at most \(most) items")
        }
        if schema.uniqueItems {
            var seen: [[UInt8]: Int] = [:]
            for (index, item) in items.enumerated() {
                let text = Array(try GoJSONValue.normalized(item).utf8)
                if let earlier = seen[text] { result.add("unique", context, "array items[\(earlier),\(index)] must be unique") }
                seen[text] = index
            }
        }
        if let wanted = schema.contains {
            var best: Result?
            var found = false
            for (index, item) in items.enumerated() {
                let outcome = try sub(wanted, item, Self.child(context, String(index)))
                if outcome.isValid {
                    found = true
                    break
                }
                if best == nil || outcome.score > best?.score ?? 0 { best = outcome }
            }
            if !found {
                result.add("contains", context, "At least one of the items must match")
                if let best { result.merge(best) }
            }
        }
        result.score += 1
    }

    private mutating func objectKeywords(
        _ schema: GoSchema, _ pairs: [(key: Value, value: Value)], _ result: inout Result, _ context: String
    ) throws(GoSchemaError) {
        if let least = schema.minProperties, pairs.count < least {
            result.add("array_min_properties", context, "Must have at least \(least) properties")
        }
        if let most = schema.maxProperties, pairs.count > most {
            result.add("array_max_properties", context, "Must have at most \(most) properties")
        }
        for name in schema.required {
            if pairs.contains(where: { $0.key == .string(name) }) {
                result.score += 1
            } else {
                result.add("required", context, "\(name) is required")
            }
        }
        let keys = Self.sortedKeys(pairs)
        for key in keys {
            guard let value = pairs.first(where: { $0.key == .string(key) })?.value else { continue }
            let described = schema.properties.contains { $0.name.sameBytes(key) }
            var matched = false
            for (_, regex, property) in schema.patternProperties where (try? regex.matches(Array(key.unicodeScalars))) == true {
                matched = true
                result.merge(try sub(property, value, Self.child(context, key)))
            }
            if matched { result.score += 1 }
            guard !described, !matched, let additional = schema.additionalProperties else { continue }
            if additional.always == false {
                result.add("additional_property_not_allowed", context, "Additional property \(key) is not allowed")
            } else if additional.always == nil {
                result.merge(try sub(additional, value, Self.child(context, key)))
            }
        }
        if let names = schema.propertyNames {
            for key in keys {
                let outcome = try sub(names, .string(key), context)
                if !outcome.isValid {
                    result.add("invalid_property_name", context, "Property name of \"\(key)\" does not match")
                    result.merge(outcome)
                }
            }
        }
        result.score += 1
    }

    private func common(_ schema: GoSchema, _ node: Value, _ result: inout Result, _ context: String) throws(GoSchemaError) {
        let field = context == "(Root)" ? context : String(context.dropFirst("(Root).".count))
        if let constant = schema.constText {
            let text = try GoJSONValue.normalized(node)
            if !text.sameBytes(constant) { result.add("const", context, "\(field) does not match: \(constant)") }
        }
        if let options = schema.enumTexts {
            let text = try GoJSONValue.normalized(node)
            if !options.contains(where: { $0.sameBytes(text) }) {
                result.add("enum", context, "\(field) must be one of the following: \(options.joined(separator: ", "))")
            }
        }
        if let format = schema.format, case let .string(text) = node, !GoSchemaFormats.holds(format, text) {
            result.add("format", context, "Does not match format '\(format)'")
        }
        result.score += 1
    }

    private func stringKeywords(_ schema: GoSchema, _ text: String, _ result: inout Result, _ context: String) {
        let length = text.unicodeScalars.count
        if let least = schema.minLength, length < least {
            result.add("string_gte", context, "String length must be greater than or equal to \(least)")
        }
        if let most = schema.maxLength, length > most {
            result.add("string_lte", context, "String length must be less than or equal to \(most)")
        }
        if let (pattern, regex) = schema.pattern, (try? regex.matches(Array(text.unicodeScalars))) != true {
            result.add("pattern", context, "Does not match pattern '\(pattern)'")
        }
        result.score += 1
    }

    private static func sortedKeys(_ pairs: [(key: Value, value: Value)]) -> [String] {
        pairs.compactMap(\.key.stringValue).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}
