import Foundation
import Testing
import WardenJSON

@testable import WardenSchema

/// Dialects beyond the official suite: the built-in meta-schemas, the draft `$schema` picks,
/// and what Warden refuses rather than guess.
@Suite struct DialectTests {
    func valid(_ schema: String, _ instance: String, registry: SchemaRegistry = SchemaRegistry()) throws -> Bool {
        try Validator(schema: try JSONParser.parse(schema), registry: registry).validate(try JSONParser.parse(instance)).isEmpty
    }

    @Test func theOfficialMetaSchemasAreBuiltIn() throws {
        #expect(MetaSchemas.documents.count == 17)
        for draft in Dialect.Draft.allCases { #expect(MetaSchemas.documents[draft.metaSchema] != nil) }
        // A schema checked against each meta-schema, offline.
        for (uri, bad) in [
            ("https://json-schema.org/draft/2020-12/schema", #"{"minLength": -1}"#),
            ("https://json-schema.org/draft/2019-09/schema", #"{"type": "integr"}"#),
            ("http://json-schema.org/draft-07/schema#", #"{"required": "name"}"#),
        ] {
            let meta = #"{"$ref": "\#(uri)"}"#
            #expect(try valid(meta, #"{"type": "object", "properties": {"age": {"minimum": 18}}}"#))
            #expect(try !valid(meta, bad))
        }
    }

    @Test func schemaPicksTheDraft() throws {
        // Draft-07: an array of `items` is a tuple, `additionalItems` the rest, `$ref` hides its siblings.
        let tuple = #"{"items": [{"type": "integer"}], "additionalItems": false}"#
        #expect(
            try valid(
                #"{"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "integer"}], "additionalItems": false}"#, "[1]")
        )
        #expect(
            try !valid(
                #"{"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "integer"}], "additionalItems": false}"#,
                "[1, 2]"))
        #expect(try valid(tuple, "[1]", registry: SchemaRegistry(defaultDraft: .draft7)))
        let siblings = ##"{"$defs": {"n": {"type": "number"}}, "$ref": "#/$defs/n", "maximum": 3}"##
        #expect(try !valid(siblings, "5"))
        #expect(try valid(siblings, "5", registry: SchemaRegistry(defaultDraft: .draft7)))
        // 2020-12 refuses an array of `items`: prefixItems took its place.
        #expect(throws: SchemaError.self) { _ = try Validator(schema: try JSONParser.parse(tuple)) }
    }

    @Test func anUnknownDialectIsRefusedNotGuessed() throws {
        let draft4 = try JSONParser.parse(
            #"{"$schema": "http://json-schema.org/draft-04/schema#", "maximum": 3, "exclusiveMaximum": true}"#)
        #expect {
            _ = try Validator(schema: draft4)
        } throws: { error in
            "\(error)".contains("names no dialect Warden knows")
        }
    }

    @Test func vocabularyOfACustomMetaSchemaDecides() throws {
        let registry = SchemaRegistry()
        try registry.add(
            try JSONParser.parse(
                #"""
                {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://example.com/strict-formats",
                 "$vocabulary": {"https://json-schema.org/draft/2020-12/vocab/core": true,
                                 "https://json-schema.org/draft/2020-12/vocab/validation": true,
                                 "https://json-schema.org/draft/2020-12/vocab/format-assertion": true}}
                """#), uri: "https://example.com/strict-formats")
        try registry.add(
            try JSONParser.parse(
                #"""
                {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://example.com/needs-magic",
                 "$vocabulary": {"https://json-schema.org/draft/2020-12/vocab/core": true, "https://example.com/vocab/magic": true}}
                """#), uri: "https://example.com/needs-magic")
        // format-assertion on: `format` asserts without --assert-formats; applicator off: `properties` is ignored.
        let strict = #"{"$schema": "https://example.com/strict-formats", "format": "ipv4", "properties": {"a": false}}"#
        #expect(try !valid(strict, #""300.1.1.1""#, registry: registry))
        #expect(try valid(strict, #"{"a": 1}"#, registry: registry))
        // A required vocabulary Warden does not know is refused, never skipped.
        #expect(throws: SchemaError.self) {
            _ = try Validator(schema: try JSONParser.parse(#"{"$schema": "https://example.com/needs-magic"}"#), registry: registry)
        }
    }
}
