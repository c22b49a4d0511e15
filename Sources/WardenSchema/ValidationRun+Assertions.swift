import Foundation
import WardenJSON

extension ValidationRun {
    /// Keywords that check the instance itself: type, enum/const, numbers, strings, counts.
    func validateAssertions(
        _ schema: JSONValue, _ instance: JSONValue, instancePath: String, fail: (String, String) -> Void
    ) throws(SchemaError) {
        if let type = schema["type"] {
            let names: [String]
            switch type {
            case let .string(name): names = [name]
            case let .array(items): names = items.compactMap { if case let .string(s) = $0 { s } else { nil } }
            default: throw SchemaError.badSchema("type must be a string or an array")
            }
            if !names.contains(where: { JSONTypes.matches(instance, $0) }) {
                fail("type", "must be of type \(names.joined(separator: " or "))")
            }
        }
        if case let .array(options)? = schema["enum"], !options.contains(where: { JSONTypes.equal($0, instance) }) {
            fail("enum", "must be one of the allowed values")
        }
        if let constant = schema["const"], !JSONTypes.equal(constant, instance) {
            fail("const", "must equal the constant value")
        }
        if let number = JSONTypes.decimal(instance) {
            if let limit = JSONTypes.decimal(schema["maximum"]), number > limit { fail("maximum", "must be at most \(limit)") }
            if let limit = JSONTypes.decimal(schema["exclusiveMaximum"]), number >= limit {
                fail("exclusiveMaximum", "must be less than \(limit)")
            }
            if let limit = JSONTypes.decimal(schema["minimum"]), number < limit { fail("minimum", "must be at least \(limit)") }
            if let limit = JSONTypes.decimal(schema["exclusiveMinimum"]), number <= limit {
                fail("exclusiveMinimum", "must be greater than \(limit)")
            }
            if let divisor = JSONTypes.decimal(schema["multipleOf"]), !JSONTypes.isMultiple(instance, of: schema["multipleOf"]!) {
                fail("multipleOf", "must be a multiple of \(divisor)")
            }
        }
        if case let .string(text) = instance {
            let length = text.unicodeScalars.count
            if let limit = JSONTypes.integer(schema["maxLength"]), length > limit {
                fail("maxLength", "must be at most \(limit) characters")
            }
            if let limit = JSONTypes.integer(schema["minLength"]), length < limit {
                fail("minLength", "must be at least \(limit) characters")
            }
            if case let .string(pattern)? = schema["pattern"] {
                let regex = try ECMARegex.compile(pattern)
                if regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                    fail("pattern", "must match the pattern")
                }
            }
            if assertFormats, case let .string(format)? = schema["format"], !Formats.check(format, text) {
                fail("format", "must be a valid \(format)")
            }
        }
        if case let .array(items) = instance {
            if let limit = JSONTypes.integer(schema["maxItems"]), items.count > limit {
                fail("maxItems", "must have at most \(limit) items")
            }
            if let limit = JSONTypes.integer(schema["minItems"]), items.count < limit {
                fail("minItems", "must have at least \(limit) items")
            }
            if case .bool(true)? = schema["uniqueItems"] {
                outer: for i in items.indices {
                    for j in items.indices where j > i && JSONTypes.equal(items[i], items[j]) {
                        fail("uniqueItems", "items \(i) and \(j) are equal")
                        break outer
                    }
                }
            }
        }
        if case let .object(members) = instance {
            if let limit = JSONTypes.integer(schema["maxProperties"]), members.count > limit {
                fail("maxProperties", "must have at most \(limit) properties")
            }
            if let limit = JSONTypes.integer(schema["minProperties"]), members.count < limit {
                fail("minProperties", "must have at least \(limit) properties")
            }
            let names = Set(members.map(\.key))
            if case let .array(required)? = schema["required"] {
                for case let .string(name) in required where !names.contains(name) {
                    fail("required", "property \(JSONPointer.escape(name)) is required")
                }
            }
            if case let .object(dependencies)? = schema["dependentRequired"] {
                for (trigger, needed) in dependencies where names.contains(trigger) {
                    guard case let .array(list) = needed else { continue }
                    for case let .string(name) in list where !names.contains(name) {
                        fail(
                            "dependentRequired",
                            "property \(JSONPointer.escape(name)) is required when \(JSONPointer.escape(trigger)) is present")
                    }
                }
            }
        }
    }
}

/// JSON Schema's view of JSON values: types, equality (1 == 1.0), numbers as decimals.
enum JSONTypes {
    static func matches(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): return true
        case ("number", .integer), ("number", .number): return true
        case ("integer", .integer): return true
        case let ("integer", .number(d)): return d == d.rounded() && d.isFinite
        default: return false
        }
    }

    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case let (.object(x), .object(y)):
            guard x.count == y.count else { return false }
            let lookup = Dictionary(y.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            return x.allSatisfy { member in lookup[member.key].map { equal(member.value, $0) } ?? false }
        case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.integer, .number), (.number, .integer), (.integer, .integer), (.number, .number):
            return decimal(a) == decimal(b)
        // Code point equality: Swift's String == would equate canonically equivalent strings.
        case let (.string(x), .string(y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
        default: return a == b
        }
    }

    static func decimal(_ value: JSONValue?) -> Decimal? {
        switch value {
        case let .integer(i)?: return Decimal(i)
        case let .number(d)?: return Decimal(string: "\(d)") ?? Decimal(d)
        default: return nil
        }
    }

    static func integer(_ value: JSONValue?) -> Int? {
        switch value {
        case let .integer(i)?: return Int(i)
        case let .number(d)? where d == d.rounded(): return Int(d)
        default: return nil
        }
    }

    /// Exact multiple test in decimal (0.0075 is a multiple of 0.0001); huge quotients that
    /// overflow fall back to double arithmetic.
    static func isMultiple(_ value: JSONValue, of divisor: JSONValue) -> Bool {
        if case let .integer(x) = value, case let .integer(y) = divisor, y != 0 { return x % y == 0 }
        guard let x = decimal(value), let y = decimal(divisor), y != 0 else { return false }
        var quotient = x / y
        var rounded = Decimal()
        NSDecimalRound(&rounded, &quotient, 0, .plain)
        if quotient.isNaN { return false }
        if case let .number(d) = value, !d.isFinite || abs(d) > 1e300 {
            let q = d / (NSDecimalNumber(decimal: y).doubleValue)
            return q.isFinite && q == q.rounded()
        }
        return rounded == quotient
    }
}

/// JSON Pointer tokens (RFC 6901) for locations.
enum JSONPointer {
    static func escape(_ token: String) -> String {
        token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
