import WardenJSON

/// A schema read as a flat record: an object whose properties each hold a scalar or an array
/// of scalars, constrained only by assertions (type, enum, const, bounds, lengths, pattern).
/// Tensor contracts are almost always this shape, and checking them column by column —
/// without building one JSON object per row — is what keeps the contract cheap per request.
///
/// The plan only answers "valid or not"; a caller that gets "not" validates the records with
/// the full `Validator` to learn where and why. Every check here is the validator's own
/// assertion code, so the two cannot disagree.
package struct RecordPlan: Sendable {
    private let root: SchemaNode
    private let assertFormats: Bool

    /// nil when the schema needs more than this plan can do (references, combinators,
    /// conditionals, patternProperties, unevaluated*): such a schema is validated in full.
    init?(root: SchemaNode, assertFormats: Bool) {
        guard root.constant == .none, root.enumValues == nil, root.constValue == nil,
            Self.hasNoReferencesOrCombinators(root), root.dependentSchemas.isEmpty, root.patternProperties.isEmpty,
            root.propertyNames == nil, root.unevaluatedProperties == nil,
            root.properties.allSatisfy({ Self.isColumn($0.schema) }),
            root.additionalProperties.map(Self.isColumn) ?? true
        else { return nil }
        self.root = root
        self.assertFormats = assertFormats
    }

    /// Whether a record with exactly these member names passes the object-level keywords
    /// (required, dependentRequired, min/maxProperties).
    package func acceptsNames(_ names: [String]) -> Bool {
        Self.holds(root, .object(names.map { ($0, .null) }), assertFormats: assertFormats)
    }

    /// The check for the member `name`'s values.
    package func column(_ name: String) -> Column {
        Column(node: root.property(name) ?? root.additionalProperties, assertFormats: assertFormats)
    }

    /// The checks for one member: on a scalar value, or on an array value by its length and
    /// then item by item.
    package struct Column: Sendable {
        /// nil when the schema does not constrain the member.
        let node: SchemaNode?
        let assertFormats: Bool

        package func accepts(_ value: JSONValue) -> Bool {
            guard let node else { return true }
            return RecordPlan.holds(node, value, assertFormats: assertFormats)
        }

        /// Whether an array of `count` items passes the member's own assertions; nil when
        /// that depends on the items' values (enum, const, uniqueItems).
        package func acceptsArray(count: Int) -> Bool? {
            guard let node else { return true }
            guard node.enumValues == nil, node.constValue == nil, !node.uniqueItems else { return nil }
            return RecordPlan.holds(node, .array(Array(repeating: .null, count: count)), assertFormats: assertFormats)
        }

        /// Whether one item of an array value passes `items`.
        package func acceptsItem(_ value: JSONValue) -> Bool {
            guard let items = node?.items else { return true }
            return RecordPlan.holds(items, value, assertFormats: assertFormats)
        }
    }

    static func holds(_ node: SchemaNode, _ value: JSONValue, assertFormats: Bool) -> Bool {
        switch node.constant {
        case .alwaysValid: return true
        case .alwaysInvalid: return false
        case .none:
            let run = ValidationRun(
                dynamicAnchors: [:], assertFormats: assertFormats, maximumDepth: 1, maximumSteps: 1, collectsAnnotations: false)
            var outcome = Outcome()
            run.validateAssertions(node, value, into: &outcome)
            return outcome.isValid
        }
    }

    private static func hasNoReferencesOrCombinators(_ node: SchemaNode) -> Bool {
        node.reference == nil && node.dynamicReference == nil && node.allOf.isEmpty && node.anyOf == nil && node.oneOf == nil
            && node.not == nil && node.ifSchema == nil && node.thenSchema == nil && node.elseSchema == nil
    }

    /// A node that holds only assertions: nothing below it to evaluate.
    private static func isLeaf(_ node: SchemaNode) -> Bool {
        hasNoReferencesOrCombinators(node) && node.dependentSchemas.isEmpty && node.properties.isEmpty
            && node.patternProperties.isEmpty && node.additionalProperties == nil && node.propertyNames == nil
            && node.prefixItems.isEmpty && node.items == nil && node.contains == nil && node.unevaluatedItems == nil
            && node.unevaluatedProperties == nil
    }

    /// A leaf, or a node whose one applicator is `items` over a leaf.
    private static func isColumn(_ node: SchemaNode) -> Bool {
        if isLeaf(node) { return true }
        guard let items = node.items, isLeaf(items), hasNoReferencesOrCombinators(node), node.prefixItems.isEmpty, node.contains == nil,
            node.unevaluatedItems == nil, node.dependentSchemas.isEmpty, node.properties.isEmpty, node.patternProperties.isEmpty,
            node.additionalProperties == nil, node.propertyNames == nil, node.unevaluatedProperties == nil
        else { return false }
        return true
    }
}
