import Foundation
import WardenJSON

/// One schema, compiled: keyword values decoded, patterns compiled, subschemas compiled and
/// references bound to their targets. Built by `SchemaCompiler` and never changed after the
/// `Validator` that owns it is initialised, so sharing it across threads is safe.
final class SchemaNode: @unchecked Sendable {
    /// `true` and `false` schemas.
    enum Constant { case none, alwaysValid, alwaysInvalid }

    /// A bound `$ref` (or the initial target of a `$dynamicRef`).
    struct Reference {
        var target: SchemaNode?
        /// Why the reference does not resolve; thrown only if it is ever evaluated.
        var failure: SchemaError?
        /// Where the target sits; entered into the dynamic scope when the target has no `$id`.
        var targetBase: URL
        var targetHasID: Bool
    }

    struct DynamicReference {
        /// `$dynamicRef` or `$recursiveRef`, for error locations.
        var keyword: String
        var initial: Reference
        /// Set when the initial target holds a matching `$dynamicAnchor`: the outermost
        /// resource in the dynamic scope with that anchor wins.
        var anchorName: String?
    }

    var constant = Constant.none
    /// The resource this schema's own `$id` names, entered when it is evaluated.
    var resource: URL?

    // Assertions.
    /// `type`: the names as written (for messages) and as a set of kinds (for the check).
    var types: [String]?
    var typeSet = JSONKinds()
    var enumValues: [JSONValue]?
    var constValue: JSONValue?
    var maximum: JSONValue?
    var exclusiveMaximum: JSONValue?
    var minimum: JSONValue?
    var exclusiveMinimum: JSONValue?
    var multipleOf: JSONValue?
    var maxLength: Int?
    var minLength: Int?
    var pattern: ECMAPattern?
    var format: String?
    /// Whether the dialect's meta-schema turns on format assertion (2020-12 format-assertion).
    var assertsFormat = false
    var maxItems: Int?
    var minItems: Int?
    var uniqueItems = false
    var maxProperties: Int?
    var minProperties: Int?
    var required: [String] = []
    var dependentRequired: [(trigger: String, names: [String])] = []

    // References.
    var reference: Reference?
    var dynamicReference: DynamicReference?

    // Applicators.
    var allOf: [SchemaNode] = []
    var anyOf: [SchemaNode]?
    var oneOf: [SchemaNode]?
    var not: SchemaNode?
    var ifSchema: SchemaNode?
    var thenSchema: SchemaNode?
    var elseSchema: SchemaNode?
    var dependentSchemas: [(trigger: String, schema: SchemaNode)] = []
    var properties: [(name: String, schema: SchemaNode)] = []
    var patternProperties: [(pattern: ECMAPattern, schema: SchemaNode)] = []
    var additionalProperties: SchemaNode?
    var propertyNames: SchemaNode?
    var prefixItems: [SchemaNode] = []
    var items: SchemaNode?
    var contains: SchemaNode?
    /// Whether items matching `contains` count as evaluated for `unevaluatedItems` (2020-12 on).
    var containsMarksEvaluated = true
    var minContains: Int?
    var maxContains: Int?
    var unevaluatedItems: SchemaNode?
    var unevaluatedProperties: SchemaNode?

    /// Linear search: contracts name tens of properties, where comparing short strings beats hashing.
    func property(_ name: String) -> SchemaNode? {
        for entry in properties where entry.name == name { return entry.schema }
        return nil
    }
}
