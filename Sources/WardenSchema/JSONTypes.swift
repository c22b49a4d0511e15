import Foundation
import WardenJSON

/// The JSON Schema types a `type` keyword allows, as bits: checked per value without
/// comparing type names.
struct JSONKinds: OptionSet, Sendable {
    let rawValue: UInt8
    static let null = JSONKinds(rawValue: 1)
    static let boolean = JSONKinds(rawValue: 2)
    static let object = JSONKinds(rawValue: 4)
    static let array = JSONKinds(rawValue: 8)
    static let number = JSONKinds(rawValue: 16)
    static let string = JSONKinds(rawValue: 32)
    static let integer = JSONKinds(rawValue: 64)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(names: [String]) {
        let all: [String: JSONKinds] = [
            "null": .null, "boolean": .boolean, "object": .object, "array": .array, "number": .number, "string": .string,
            "integer": .integer,
        ]
        self = names.reduce(into: JSONKinds()) { $0.formUnion(all[$1] ?? []) }
    }

    func matches(_ value: JSONValue) -> Bool {
        switch value {
        case .null: contains(.null)
        case .bool: contains(.boolean)
        case .object: contains(.object)
        case .array: contains(.array)
        case .string: contains(.string)
        case .integer: contains(.number) || contains(.integer)
        case let .numberText(text): contains(.number) || (contains(.integer) && !text.contains(where: { ".eE".contains($0) }))
        case let .number(d): contains(.number) || (contains(.integer) && d.isFinite && d == d.rounded())
        }
    }
}

/// JSON Schema's view of JSON values: types, equality (1 == 1.0), numbers as decimals.
enum JSONTypes {
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case let (.object(x), .object(y)):
            guard x.count == y.count else { return false }
            let lookup = Dictionary(y.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            return x.allSatisfy { member in lookup[member.key].map { equal(member.value, $0) } ?? false }
        case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.integer, .number), (.number, .integer), (.integer, .integer), (.number, .number):
            return compare(a, b) == 0
        // Code point equality: Swift's String == would equate canonically equivalent strings.
        case let (.string(x), .string(y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
        default: return a == b
        }
    }

    static func isNumber(_ value: JSONValue) -> Bool {
        switch value {
        case .integer, .number: true
        default: false
        }
    }

    /// Exact numeric order (-1, 0, 1) of two JSON numbers; nil if either is not one. Integers
    /// and doubles compare natively; only an integer beyond 2^53 against a double (where
    /// converting either would round) goes through decimal arithmetic.
    static func compare(_ a: JSONValue, _ b: JSONValue) -> Int? {
        func order<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x == y ? 0 : 1) }
        switch (a, b) {
        case let (.integer(x), .integer(y)): return order(x, y)
        case let (.number(x), .number(y)): return order(x, y)
        // An infinity (a model input may hold one) is beyond every integer.
        case let (.integer(x), .number(y)) where x.magnitude <= 1 << 53 || !y.isFinite: return order(Double(x), y)
        case let (.number(x), .integer(y)) where y.magnitude <= 1 << 53 || !x.isFinite: return order(x, Double(y))
        case (.integer, .number), (.number, .integer):
            guard let x = decimal(a), let y = decimal(b) else { return nil }
            return order(x, y)
        default: return nil
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
    /// Called for every property visited, so the common case (nothing to escape) is a scan
    /// of the UTF-8 bytes with no allocation.
    static func escape(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == 0x7E || $0 == 0x2F }) else { return token }
        var escaped = ""
        for character in token.unicodeScalars {
            switch character {
            case "~": escaped += "~0"
            case "/": escaped += "~1"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }
}
