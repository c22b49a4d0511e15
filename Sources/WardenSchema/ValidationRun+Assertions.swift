import Foundation
import WardenJSON

extension ValidationRun {
    /// Keywords that check the instance itself: type, enum/const, numbers, strings, counts.
    func validateAssertions(_ node: SchemaNode, _ instance: JSONValue, into outcome: inout Outcome) {
        func fail(_ keyword: String, _ message: String) { outcome.errors.append(failure(keyword, message)) }
        if let types = node.types, !node.typeSet.matches(instance) {
            fail("type", "must be of type \(types.joined(separator: " or "))")
        }
        if let options = node.enumValues, !options.contains(where: { JSONTypes.equal($0, instance) }) {
            fail("enum", "must be one of the allowed values")
        }
        if let constant = node.constValue, !JSONTypes.equal(constant, instance) {
            fail("const", "must equal the constant value")
        }
        switch instance {
        case .integer, .number: validateNumber(node, instance, fail: fail)
        case let .string(text): validateString(node, text, fail: fail)
        case let .array(items): validateArray(node, items, fail: fail)
        case let .object(members): validateObject(node, members, fail: fail)
        default: break
        }
    }

    private func validateNumber(_ node: SchemaNode, _ instance: JSONValue, fail: (String, String) -> Void) {
        func order(_ limit: JSONValue?) -> Int? { limit.flatMap { JSONTypes.compare(instance, $0) } }
        if let limit = node.maximum, let order = order(limit), order > 0 { fail("maximum", "must be at most \(limit.serialized())") }
        if let limit = node.exclusiveMaximum, let order = order(limit), order >= 0 {
            fail("exclusiveMaximum", "must be less than \(limit.serialized())")
        }
        if let limit = node.minimum, let order = order(limit), order < 0 { fail("minimum", "must be at least \(limit.serialized())") }
        if let limit = node.exclusiveMinimum, let order = order(limit), order <= 0 {
            fail("exclusiveMinimum", "must be greater than \(limit.serialized())")
        }
        if let divisor = node.multipleOf, !JSONTypes.isMultiple(instance, of: divisor) {
            fail("multipleOf", "must be a multiple of \(divisor.serialized())")
        }
    }

    private func validateString(_ node: SchemaNode, _ text: String, fail: (String, String) -> Void) {
        if node.maxLength != nil || node.minLength != nil {
            let length = text.unicodeScalars.count
            if let limit = node.maxLength, length > limit { fail("maxLength", "must be at most \(limit) characters") }
            if let limit = node.minLength, length < limit { fail("minLength", "must be at least \(limit) characters") }
        }
        if let pattern = node.pattern, !pattern.matches(text) {
            fail("pattern", "must match the pattern")
        }
        if assertFormats || node.assertsFormat, let format = node.format, !Formats.check(format, text) {
            fail("format", "must be a valid \(format)")
        }
    }

    private func validateArray(_ node: SchemaNode, _ items: [JSONValue], fail: (String, String) -> Void) {
        if let limit = node.maxItems, items.count > limit { fail("maxItems", "must have at most \(limit) items") }
        if let limit = node.minItems, items.count < limit { fail("minItems", "must have at least \(limit) items") }
        if node.uniqueItems {
            outer: for i in items.indices {
                for j in items.indices where j > i && JSONTypes.equal(items[i], items[j]) {
                    fail("uniqueItems", "items \(i) and \(j) are equal")
                    break outer
                }
            }
        }
    }

    private func validateObject(_ node: SchemaNode, _ members: [(key: String, value: JSONValue)], fail: (String, String) -> Void) {
        if let limit = node.maxProperties, members.count > limit { fail("maxProperties", "must have at most \(limit) properties") }
        if let limit = node.minProperties, members.count < limit { fail("minProperties", "must have at least \(limit) properties") }
        func has(_ name: String) -> Bool { members.contains { $0.key == name } }
        for name in node.required where !has(name) {
            fail("required", "property \(JSONPointer.escape(name)) is required")
        }
        for (trigger, names) in node.dependentRequired where has(trigger) {
            for name in names where !has(name) {
                fail("dependentRequired", "property \(JSONPointer.escape(name)) is required when \(JSONPointer.escape(trigger)) is present")
            }
        }
    }
}
