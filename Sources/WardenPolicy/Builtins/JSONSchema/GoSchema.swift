import BigInt

/// A schema as gojsonschema (the validator behind OPA's `json.match_schema`) reads it: its
/// "Hybrid" draft unless `$schema` names draft 4, 6 or 7, keywords parsed in gojsonschema's
/// order, each refusal worded as it words it. Warden's own validator (WardenSchema) serves
/// contracts; this one exists to give policies OPA's answers.
final class GoSchema {
    enum Draft { case draft4, draft6, draft7, hybrid }

    /// `true` or `false` as a whole schema.
    var always: Bool?
    var ref: GoSchema?
    var refText: String?
    var types: [String] = []
    var properties: [(name: String, schema: GoSchema)] = []
    var additionalProperties: GoSchema?
    var patternProperties: [(pattern: String, regex: LinearRegex, schema: GoSchema)] = []
    var propertyNames: GoSchema?
    var dependencies: [(name: String, required: [String]?, schema: GoSchema?)] = []
    var items: GoSchema?
    var tupleItems: [GoSchema]?
    var additionalItems: GoSchema?
    var multipleOf: ExactDecimal?
    var minimum: ExactDecimal?
    var maximum: ExactDecimal?
    var exclusiveMinimum: ExactDecimal?
    var exclusiveMaximum: ExactDecimal?
    /// Draft 4's boolean form: the limit itself is exclusive.
    var minimumIsExclusive = false
    var maximumIsExclusive = false
    var minLength: Int?
    var maxLength: Int?
    var pattern: (text: String, regex: LinearRegex)?
    var format: String?
    var minProperties: Int?
    var maxProperties: Int?
    var required: [String] = []
    var minItems: Int?
    var maxItems: Int?
    var uniqueItems = false
    var contains: GoSchema?
    /// The Go JSON text of const and of each enum value, which is what gojsonschema compares.
    var constText: String?
    var enumTexts: [String]?
    var oneOf: [GoSchema]?
    var anyOf: [GoSchema]?
    var allOf: [GoSchema]?
    var not: GoSchema?
    var ifSchema: GoSchema?
    var thenSchema: GoSchema?
    var elseSchema: GoSchema?

    init() {}
}

/// A schema gojsonschema refuses, with its words.
struct GoSchemaError: Error {
    let message: String
}

/// Reads a schema document into `GoSchema`s, keyword by keyword in gojsonschema's order.
struct GoSchemaParser {
    let root: Value
    var draft: GoSchema.Draft = .hybrid
    /// Schemas by their `$id` (absolute, or `#name` fragments), and by JSON pointer.
    private var identified: [String: Value] = [:]
    private var parsedPointers: [String: GoSchema] = [:]
    private var pendingRefs: [(schema: GoSchema, pointer: String)] = []
    /// The `$id` in scope, which a relative `$ref` resolves against.
    private var base = ""

    init(root: Value) { self.root = root }

    static func parse(_ root: Value) throws(GoSchemaError) -> GoSchema {
        switch root {
        case .object, .bool: break
        default: throw GoSchemaError(message: "schema is invalid")
        }
        var parser = GoSchemaParser(root: root)
        if case let .object(members) = root, let declared = members.first(where: { $0.key == .string("$schema") })?.value {
            guard case let .string(uri) = declared else { throw GoSchemaError(message: "$schema must be of type string") }
            do {
                _ = try GoURL(parsing: uri)
            } catch {
                throw GoSchemaError(message: error.description)
            }
            let trimmed = uri.hasSuffix("#") ? String(uri.dropLast()) : uri
            switch trimmed {
            case "http://json-schema.org/draft-04/schema": parser.draft = .draft4
            case "http://json-schema.org/draft-06/schema": parser.draft = .draft6
            case "http://json-schema.org/draft-07/schema": parser.draft = .draft7
            default: break
            }
        }
        parser.collectIDs(root, base: "")
        let schema = try parser.schema(root)
        try parser.resolveRefs()
        return schema
    }

    // MARK: References

    /// Records every `$id` (or draft 4's `id`), resolved against the enclosing one.
    private mutating func collectIDs(_ value: Value, base: String) {
        switch value {
        case let .object(members):
            var scope = base
            let key = draft == .draft4 ? "id" : "$id"
            if case let .string(id)? = members.first(where: { $0.key == .string(key) })?.value {
                scope = Self.resolve(id, against: base)
                identified[scope] = value
                if scope.hasSuffix("#") { identified[String(scope.dropLast())] = value }
                if id.hasPrefix("#") { identified[id] = value }
            }
            for (_, child) in members { collectIDs(child, base: scope) }
        case let .array(items): for item in items { collectIDs(item, base: base) }
        default: break
        }
    }

    private static func resolve(_ reference: String, against base: String) -> String {
        if reference.contains("://") || reference.hasPrefix("urn:") || base.isEmpty { return reference }
        if reference.hasPrefix("#") { return (base.split(separator: "#").first.map(String.init) ?? base) + reference }
        guard let slash = base.lastIndex(of: "/") else { return reference }
        return String(base[...slash]) + reference
    }

    private mutating func resolveRefs() throws(GoSchemaError) {
        var index = 0
        while index < pendingRefs.count {
            let (schema, reference) = pendingRefs[index]
            index += 1
            schema.ref = try target(reference)
        }
    }

    private mutating func target(_ reference: String) throws(GoSchemaError) -> GoSchema {
        if let known = parsedPointers[reference] { return known }
        let value: Value
        let trimmed = reference.hasSuffix("#") ? String(reference.dropLast()) : reference
        let hash = reference.firstIndex(of: "#")
        let document = hash.map { String(reference[..<$0]) } ?? reference
        if let identified = identified[reference] ?? identified[trimmed] {
            value = identified
        } else if let hash, document.isEmpty || identified[document] != nil {
            value = try Self.follow(
                String(reference[reference.index(after: hash)...]), in: document.isEmpty ? root : identified[document] ?? root)
        } else if let meta = GoMetaSchemas.document(document) {
            var metaParser = GoSchemaParser(root: meta)
            metaParser.collectIDs(meta, base: "")
            let schema = try metaParser.schema(meta)
            try metaParser.resolveRefs()
            parsedPointers[reference] = schema
            return schema
        } else if reference.contains("://") {
            // OPA fetches remote schemas over the network; policies here are evaluated offline.
            throw GoSchemaError(message: "remote reference \(reference) is not fetched: Warden evaluates policies offline")
        } else {
            throw GoSchemaError(message: "Reference \(reference) must be canonical")
        }
        let schema = try schema(value)
        parsedPointers[reference] = schema
        return schema
    }

    /// A JSON pointer (`/definitions/x`, `~0`/`~1` and percent escapes).
    private static func follow(_ pointer: String, in document: Value) throws(GoSchemaError) -> Value {
        var current = document
        let decoded = pointer.removingPercentEncoding ?? pointer
        for rawToken in decoded.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let token = rawToken.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch current {
            case let .object(members):
                guard let next = members.first(where: { $0.key == .string(token) })?.value else {
                    throw GoSchemaError(message: "Object has no key '\(token)'")
                }
                current = next
            case let .array(items):
                guard let position = Int(token), items.indices.contains(position) else {
                    throw GoSchemaError(message: "Out of bound array[0,\(items.count)] index '\(token)'")
                }
                current = items[position]
            default: throw GoSchemaError(message: "Object has no key '\(token)'")
            }
        }
        return current
    }

    // MARK: Keywords

    mutating func schema(_ value: Value) throws(GoSchemaError) -> GoSchema {
        let schema = GoSchema()
        if case let .bool(flag) = value {
            guard draft != .draft4 else { throw GoSchemaError(message: "Expected: Valid Schema, given: Invalid JSON") }
            schema.always = flag
            return schema
        }
        guard case let .object(members) = value else { throw GoSchemaError(message: "Expected: Valid Schema, given: Invalid JSON") }
        var fields: [String: Value] = [:]
        for (key, member) in members { if case let .string(name) = key { fields[name] = member } }
        func string(_ key: String) throws(GoSchemaError) -> String? {
            guard let member = fields[key] else { return nil }
            guard case let .string(text) = member else { throw GoSchemaError(message: "Invalid type. Expected: string, given: \(key)") }
            return text
        }
        if let member = fields["$schema"], !(member.isString) { throw GoSchemaError(message: "$schema must be of type string") }
        if draft == .draft4 || draft == .hybrid && fields["id"] != nil { _ = try string("id") } else { _ = try string("$id") }
        if let definitions = fields["definitions"] {
            guard case let .object(entries) = definitions else {
                throw GoSchemaError(message: "Invalid type. Expected: Array Of Schemas, given: definitions")
            }
            for (key, entry) in entries.sorted(by: { $0.key < $1.key }) {
                guard entry.isObject || entry.isBool && draft != .draft4 else {
                    throw GoSchemaError(message: "Invalid type. Expected: Array Of Schemas, given: definitions")
                }
                _ = try self.schema(entry)
            }
        }
        _ = try string("title")
        _ = try string("description")
        let outerBase = base
        defer { base = outerBase }
        let idKey = draft == .draft4 || draft == .hybrid && fields["id"] != nil ? "id" : "$id"
        if case let .string(id)? = fields[idKey] { base = Self.resolve(id, against: base) }
        if let reference = try string("$ref") {
            schema.refText = reference
            pendingRefs.append((schema, Self.resolve(reference, against: base)))
            return schema
        }
        try parseType(fields, schema)
        if let member = fields["properties"] {
            guard case let .object(entries) = member else { throw GoSchemaError(message: "Properties must be of type object") }
            for (key, entry) in entries.sorted(by: { $0.key < $1.key }) {
                schema.properties.append((key.stringValue ?? key.description, try subschema(entry)))
            }
        }
        schema.additionalProperties = try boolOrSchema(fields["additionalProperties"], "additionalProperties")
        if let member = fields["patternProperties"] {
            guard case let .object(entries) = member else {
                throw GoSchemaError(message: "Invalid type. Expected: Valid Schema, given: patternProperties")
            }
            for (key, entry) in entries.sorted(by: { $0.key < $1.key }) {
                let pattern = key.stringValue ?? key.description
                guard let regex = try? LinearRegex(pattern) else { throw GoSchemaError(message: "Invalid regex pattern '\(pattern)'") }
                schema.patternProperties.append((pattern, regex, try subschema(entry)))
            }
        }
        if draft != .draft4, let member = fields["propertyNames"] {
            guard member.isObject || member.isBool else {
                throw GoSchemaError(message: "Invalid type. Expected: Valid Schema, given: patternProperties")
            }
            schema.propertyNames = try subschema(member)
        }
        if let member = fields["dependencies"] {
            guard case let .object(entries) = member else { throw GoSchemaError(message: "dependencies must be of type object") }
            for (key, entry) in entries.sorted(by: { $0.key < $1.key }) {
                let name = key.stringValue ?? key.description
                if case let .array(names) = entry {
                    let strings = names.compactMap(\.stringValue)
                    guard strings.count == names.count else {
                        throw GoSchemaError(message: "Dependency must be of type Schema Or Array Of Strings")
                    }
                    schema.dependencies.append((name, strings, nil))
                } else if entry.isObject || entry.isBool && draft != .draft4 {
                    schema.dependencies.append((name, nil, try subschema(entry)))
                } else {
                    throw GoSchemaError(message: "Dependency must be of type Schema Or Array Of Strings")
                }
            }
        }
        if let member = fields["items"] {
            if case let .array(entries) = member {
                var tuple: [GoSchema] = []
                for entry in entries {
                    guard entry.isObject || entry.isBool && draft != .draft4 else {
                        throw GoSchemaError(message: "Invalid type. Expected: Valid Schema/Array Of Schemas, given: items")
                    }
                    tuple.append(try subschema(entry))
                }
                schema.tupleItems = tuple
            } else if member.isObject || member.isBool && draft != .draft4 {
                schema.items = try subschema(member)
            } else {
                throw GoSchemaError(message: "Invalid type. Expected: Valid Schema/Array Of Schemas, given: items")
            }
        }
        schema.additionalItems = try boolOrSchema(fields["additionalItems"], "additionalItems")
        try parseNumbers(fields, schema)
        schema.minLength = try count(fields, "minLength")
        schema.maxLength = try count(fields, "maxLength")
        if let least = schema.minLength, let most = schema.maxLength, least > most {
            throw GoSchemaError(message: "minLength cannot be greater than maxLength")
        }
        if let text = try string("pattern") {
            guard let regex = try? LinearRegex(text) else { throw GoSchemaError(message: "pattern must be a valid regex") }
            schema.pattern = (text, regex)
        }
        schema.format = try string("format")
        schema.minProperties = try count(fields, "minProperties")
        schema.maxProperties = try count(fields, "maxProperties")
        if let least = schema.minProperties, let most = schema.maxProperties, least > most {
            throw GoSchemaError(message: "minProperties cannot be greater than maxProperties")
        }
        if let member = fields["required"] {
            guard case let .array(names) = member else { throw GoSchemaError(message: "required must be of an array") }
            for name in names {
                guard case let .string(text) = name else { throw GoSchemaError(message: "Invalid type. Expected: string, given: required") }
                guard !schema.required.contains(where: { $0.sameBytes(text) }) else {
                    throw GoSchemaError(message: "required items must be unique")
                }
                schema.required.append(text)
            }
        }
        schema.minItems = try count(fields, "minItems")
        schema.maxItems = try count(fields, "maxItems")
        if let member = fields["uniqueItems"] {
            guard case let .bool(flag) = member else { throw GoSchemaError(message: "uniqueItems must be of a boolean") }
            schema.uniqueItems = flag
        }
        if draft != .draft4, let member = fields["contains"] { schema.contains = try subschema(member) }
        if draft != .draft4, let member = fields["const"] { schema.constText = try GoJSONValue.normalized(member) }
        if let member = fields["enum"] {
            guard case let .array(options) = member else { throw GoSchemaError(message: "enum must be of an array") }
            var texts: [String] = []
            for option in options {
                let text = try GoJSONValue.normalized(option)
                guard !texts.contains(where: { $0.sameBytes(text) }) else { throw GoSchemaError(message: "enum items must be unique") }
                texts.append(text)
            }
            schema.enumTexts = texts
        }
        schema.oneOf = try schemaList(fields, "oneOf")
        schema.anyOf = try schemaList(fields, "anyOf")
        schema.allOf = try schemaList(fields, "allOf")
        schema.not = try objectSchema(fields, "not")
        if draft == .draft7 || draft == .hybrid {
            schema.ifSchema = try objectSchema(fields, "if")
            schema.thenSchema = try objectSchema(fields, "then")
            schema.elseSchema = try objectSchema(fields, "else")
        }
        return schema
    }

    private mutating func subschema(_ value: Value) throws(GoSchemaError) -> GoSchema {
        guard value.isObject || value.isBool else { throw GoSchemaError(message: "Expected: Valid Schema, given: Invalid JSON") }
        return try schema(value)
    }

    private mutating func boolOrSchema(_ value: Value?, _ keyword: String) throws(GoSchemaError) -> GoSchema? {
        guard let value else { return nil }
        guard value.isObject || value.isBool else {
            throw GoSchemaError(message: "Invalid type. Expected: boolean/Valid Schema, given: \(keyword)")
        }
        if case let .bool(flag) = value {
            let schema = GoSchema()
            schema.always = flag
            return schema
        }
        return try schema(value)
    }

    private mutating func schemaList(_ fields: [String: Value], _ keyword: String) throws(GoSchemaError) -> [GoSchema]? {
        guard let member = fields[keyword] else { return nil }
        guard case let .array(entries) = member else { throw GoSchemaError(message: "\(keyword) must be of an array") }
        var schemas: [GoSchema] = []
        for entry in entries { schemas.append(try subschema(entry)) }
        return schemas
    }

    private mutating func objectSchema(_ fields: [String: Value], _ keyword: String) throws(GoSchemaError) -> GoSchema? {
        guard let member = fields[keyword] else { return nil }
        guard member.isObject || member.isBool && draft != .draft4 else { throw GoSchemaError(message: "\(keyword) must be of an object") }
        return try schema(member)
    }

    private static let typeNames = ["array", "boolean", "integer", "number", "null", "object", "string"]

    private func parseType(_ fields: [String: Value], _ schema: GoSchema) throws(GoSchemaError) {
        guard let member = fields["type"] else { return }
        let names: [Value]
        switch member {
        case .string: names = [member]
        case let .array(items): names = items
        default: throw GoSchemaError(message: "Invalid type. Expected: type, given: string/Array Of Strings")
        }
        for name in names {
            guard case let .string(text) = name else {
                throw GoSchemaError(message: "Invalid type. Expected: type, given: string/Array Of Strings")
            }
            guard Self.typeNames.contains(text) else {
                throw GoSchemaError(
                    message:
                        "has a primitive type that is NOT VALID -- given: /\(text)/ Expected valid values are:[array boolean integer number null object string]"
                )
            }
            guard !schema.types.contains(text) else { throw GoSchemaError(message: "\(text) type is duplicated") }
            schema.types.append(text)
        }
    }

    private func parseNumbers(_ fields: [String: Value], _ schema: GoSchema) throws(GoSchemaError) {
        if let member = fields["multipleOf"] {
            guard let value = Self.decimal(member) else {
                throw GoSchemaError(message: "Invalid type. Expected: Number, given: multipleOf")
            }
            guard value > ExactDecimal(0) else { throw GoSchemaError(message: "multipleOf must be strictly greater than 0") }
            schema.multipleOf = value
        }
        func limit(_ key: String) throws(GoSchemaError) -> ExactDecimal? {
            guard let member = fields[key] else { return nil }
            guard let value = Self.decimal(member) else { throw GoSchemaError(message: "\(key) must be of a Number") }
            return value
        }
        schema.minimum = try limit("minimum")
        try exclusive(fields["exclusiveMinimum"], "exclusiveMinimum", base: "minimum", has: schema.minimum != nil) { number, flag in
            schema.exclusiveMinimum = number
            schema.minimumIsExclusive = flag
        }
        schema.maximum = try limit("maximum")
        try exclusive(fields["exclusiveMaximum"], "exclusiveMaximum", base: "maximum", has: schema.maximum != nil) { number, flag in
            schema.exclusiveMaximum = number
            schema.maximumIsExclusive = flag
        }
    }

    /// `exclusiveMaximum`: a boolean in draft 4, a number in 6 and 7, either in Hybrid.
    private func exclusive(
        _ member: Value?, _ key: String, base: String, has: Bool, _ set: (ExactDecimal?, Bool) -> Void
    ) throws(GoSchemaError) {
        guard let member else { return }
        switch (member, draft) {
        case let (.bool(flag), .draft4), let (.bool(flag), .hybrid):
            guard has else { throw GoSchemaError(message: "\(key) cannot be used without \(base)") }
            set(nil, flag)
        case (.number, .draft6), (.number, .draft7), (.number, .hybrid): set(Self.decimal(member), false)
        case (_, .draft4): throw GoSchemaError(message: "Invalid type. Expected: boolean, given: \(key)")
        case (_, .hybrid): throw GoSchemaError(message: "Invalid type. Expected: boolean/number, given: \(key)")
        default: throw GoSchemaError(message: "Invalid type. Expected: number, given: \(key)")
        }
    }

    /// A count keyword: its text must read as a Go int64 (`1.0` does not).
    private func count(_ fields: [String: Value], _ key: String) throws(GoSchemaError) -> Int? {
        guard let member = fields[key] else { return nil }
        guard case let .number(number) = member, let value = Int64(number.description) else {
            throw GoSchemaError(message: "\(key) must be of an integer")
        }
        guard value >= 0 else { throw GoSchemaError(message: "\(key) must be greater than or equal to 0") }
        return Int(value)
    }

    static func decimal(_ value: Value) -> ExactDecimal? {
        guard case let .number(number) = value else { return nil }
        return ExactDecimal.parse(Substring(number.description))?.value
    }
}

extension Value {
    var isObject: Bool { if case .object = self { true } else { false } }
    var isBool: Bool { if case .bool = self { true } else { false } }
    var isString: Bool { if case .string = self { true } else { false } }
    var stringValue: String? { if case let .string(text) = self { text } else { nil } }
}
