/// A Rego value. Numbers keep integers exact; sets and objects are kept sorted by Rego's value
/// order, so equal values have one representation and compare, hash and print the same way.
public indirect enum Value: Sendable, Hashable, Comparable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Number)
    case string(String)
    case array([Value])
    /// Sorted, without duplicates.
    case set([Value])
    /// Sorted by key, keys unique.
    case object([(key: Value, value: Value)])

    public static func makeSet(_ items: some Sequence<Value>) -> Value {
        .set(Array(Set(items)).sorted())
    }

    public static func makeObject(_ pairs: some Sequence<(key: Value, value: Value)>) -> Value {
        var seen: [Value: Value] = [:]
        for (key, value) in pairs { seen[key] = value }
        return .object(seen.map { (key: $0.key, value: $0.value) }.sorted { $0.key < $1.key })
    }

    public static func integer(_ value: Int64) -> Value { .number(Number(value)) }
    public static func double(_ value: Double) -> Value { .number(Number(value)) }

    /// Rego's order across types: null < boolean < number < string < array < object < set.
    var typeRank: Int {
        switch self {
        case .null: 0
        case .bool: 1
        case .number: 2
        case .string: 3
        case .array: 4
        case .object: 5
        case .set: 6
        }
    }

    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        case .set: "set"
        }
    }

    public static func < (lhs: Value, rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case let (.bool(a), .bool(b)): return !a && b
        case let (.number(a), .number(b)): return a < b
        case let (.string(a), .string(b)): return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
        case let (.array(a), .array(b)), let (.set(a), .set(b)): return a.lexicographicallyPrecedes(b)
        case let (.object(a), .object(b)):
            for (x, y) in zip(a, b) {
                if x.key != y.key { return x.key < y.key }
                if x.value != y.value { return x.value < y.value }
            }
            return a.count < b.count
        default: return lhs.typeRank < rhs.typeRank
        }
    }

    public static func == (lhs: Value, rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.number(a), .number(b)): a == b
        // Byte for byte, as Go compares strings: Swift's `==` would call "é" and "e\u{301}" equal.
        case let (.string(a), .string(b)): a.utf8.elementsEqual(b.utf8)
        case let (.array(a), .array(b)), let (.set(a), .set(b)): a == b
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(typeRank)
        switch self {
        case .null: break
        case let .bool(b): hasher.combine(b)
        case let .number(n): hasher.combine(n)
        case let .string(s): hasher.combine(s)
        case let .array(items), let .set(items): hasher.combine(items)
        case let .object(pairs):
            for pair in pairs {
                hasher.combine(pair.key)
                hasher.combine(pair.value)
            }
        }
    }

    /// Member lookup: object key, array index.
    public subscript(key: Value) -> Value? {
        switch self {
        case let .object(pairs):
            return Self.binarySearch(pairs, key)
        case let .array(items):
            guard case let .number(n) = key, n.doubleValue == n.doubleValue.rounded(), n.doubleValue >= 0,
                n.doubleValue < Double(items.count)
            else { return nil }
            return items[Int(n.doubleValue)]
        case let .set(items):
            return Self.setContains(items, key) ? key : nil
        default:
            return nil
        }
    }

    static func binarySearch(_ pairs: [(key: Value, value: Value)], _ key: Value) -> Value? {
        var low = 0
        var high = pairs.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if pairs[middle].key == key { return pairs[middle].value }
            if pairs[middle].key < key { low = middle + 1 } else { high = middle - 1 }
        }
        return nil
    }

    static func setContains(_ items: [Value], _ key: Value) -> Bool {
        var low = 0
        var high = items.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if items[middle] == key { return true }
            if items[middle] < key { low = middle + 1 } else { high = middle - 1 }
        }
        return false
    }

    public var description: String { Self.jsonText(self) }

    static func jsonText(_ value: Value) -> String {
        switch value {
        case .null: return "null"
        case let .bool(b): return b ? "true" : "false"
        case let .number(n): return n.description
        case let .string(s): return quoted(s)
        case let .array(items): return "[" + items.map(jsonText).joined(separator: ",") + "]"
        case let .set(items): return "[" + items.map(jsonText).joined(separator: ",") + "]"
        case let .object(pairs):
            return "{"
                + pairs.map { pair in
                    let key: String
                    if case let .string(s) = pair.key { key = quoted(s) } else { key = quoted(jsonText(pair.key)) }
                    return key + ":" + jsonText(pair.value)
                }.joined(separator: ",") + "}"
        }
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
