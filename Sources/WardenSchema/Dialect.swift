import WardenJSON

/// The JSON Schema dialect a schema is written in: its draft, chosen by `$schema`, and the
/// vocabularies its meta-schema turns on (`$vocabulary`). Keywords of another draft, or of a
/// vocabulary that is off, are ignored as unknown keywords are.
package struct Dialect: Sendable, Hashable {
    package enum Draft: Sendable, Hashable, CaseIterable {
        case draft7, draft2019_09, draft2020_12

        /// The `$schema` URI of the official meta-schema, without draft-07's empty fragment.
        package var metaSchema: String {
            switch self {
            case .draft7: "http://json-schema.org/draft-07/schema"
            case .draft2019_09: "https://json-schema.org/draft/2019-09/schema"
            case .draft2020_12: "https://json-schema.org/draft/2020-12/schema"
            }
        }

        /// The prefix of this draft's vocabulary URIs (drafts before 2019-09 have none).
        var vocabularyPrefix: String? {
            switch self {
            case .draft7: nil
            case .draft2019_09: "https://json-schema.org/draft/2019-09/vocab/"
            case .draft2020_12: "https://json-schema.org/draft/2020-12/vocab/"
            }
        }

        /// The draft whose official meta-schema `uri` names (with or without an empty fragment).
        package init?(metaSchema uri: String) {
            let bare = uri.hasSuffix("#") ? String(uri.dropLast()) : uri
            guard let draft = Self.allCases.first(where: { $0.metaSchema == bare }) else { return nil }
            self = draft
        }

        /// A draft by its short name, as `--default-dialect` takes it.
        package init?(name: String) {
            switch name {
            case "2020-12", "draft2020-12": self = .draft2020_12
            case "2019-09", "draft2019-09": self = .draft2019_09
            case "7", "draft7", "draft-07": self = .draft7
            default:
                guard let draft = Self(metaSchema: name) else { return nil }
                self = draft
            }
        }
    }

    package let draft: Draft
    var applicator = true
    /// 2020-12's unevaluated vocabulary (in 2019-09 those keywords belong to the applicator one).
    var unevaluated = true
    var validation = true
    /// 2020-12's format-assertion vocabulary: `format` asserts, as with `--assert-formats`.
    var formatAssertion = false

    /// The draft with every vocabulary of its official meta-schema.
    package init(_ draft: Draft) { self.draft = draft }

    /// The dialect a custom meta-schema's `$vocabulary` declares. A vocabulary Warden does
    /// not know is an error when required (`true`) and skipped when optional (`false`).
    init(draft: Draft, vocabulary: [(key: String, value: JSONValue)]) throws(SchemaError) {
        self.draft = draft
        applicator = false
        unevaluated = false
        validation = false
        let prefix = draft.vocabularyPrefix ?? ""
        for (uri, required) in vocabulary {
            guard uri.hasPrefix(prefix), case let name = String(uri.dropFirst(prefix.count)), Self.known(name, in: draft) else {
                if required == .bool(true) { throw SchemaError.badSchema("the meta-schema requires an unknown vocabulary \(uri)") }
                continue
            }
            switch name {
            case "applicator":
                applicator = true
                if draft == .draft2019_09 { unevaluated = true }
            case "unevaluated": unevaluated = true
            case "validation": validation = true
            case "format-assertion": formatAssertion = true
            default: continue
            }
        }
    }

    private static func known(_ vocabulary: String, in draft: Draft) -> Bool {
        switch draft {
        case .draft7: false
        case .draft2019_09: ["core", "applicator", "validation", "meta-data", "format", "content"].contains(vocabulary)
        case .draft2020_12:
            ["core", "applicator", "unevaluated", "validation", "meta-data", "format-annotation", "format-assertion", "content"]
                .contains(vocabulary)
        }
    }

    /// Whether `keyword` means anything in this dialect.
    func honours(_ keyword: String) -> Bool {
        if Self.validationKeywords.contains(keyword) {
            return validation && !(draft == .draft7 && Self.since2019.contains(keyword))
        }
        switch keyword {
        case "unevaluatedItems", "unevaluatedProperties": return unevaluated && draft != .draft7
        case "prefixItems": return applicator && draft == .draft2020_12
        case "additionalItems": return applicator && draft != .draft2020_12
        // Draft-07's `dependencies` is still honoured in later drafts, as most validators do.
        case "dependencies": return applicator
        case "dependentSchemas": return applicator && draft != .draft7
        case "$dynamicRef": return draft == .draft2020_12
        case "$recursiveRef": return draft == .draft2019_09
        default: return Self.applicatorKeywords.contains(keyword) ? applicator : true
        }
    }

    static let validationKeywords: Set<String> = [
        "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength", "minLength",
        "pattern", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties", "required",
        "dependentRequired",
    ]
    private static let since2019: Set<String> = ["maxContains", "minContains", "dependentRequired"]
    static let applicatorKeywords: Set<String> = [
        "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "properties", "patternProperties", "additionalProperties",
        "propertyNames", "items", "contains",
    ]
}
