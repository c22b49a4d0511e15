import CYaml

/// `yaml.unmarshal` as OPA does it: go-yaml v2 decodes the first document into Go values
/// (YAML 1.1 scalars, `<<` merges, aliases), sigs.k8s.io/yaml turns map keys into strings,
/// Go's encoding/json writes the result and OPA reads that JSON. libyaml, which go-yaml v2 was
/// ported from, parses; the decoding rules are go-yaml's.
struct GoYAMLReader {
    struct Failure: Error {
        let message: String
    }

    /// The value OPA reads back from the JSON text (null for an empty document); numbers keep
    /// the text Go's encoding/json gave them (`1e+21`, `1e-7`).
    static func value(_ text: String) throws(Failure) -> Value {
        guard let root = try GoYAMLEvents.firstDocument(text) else { return .null }
        var reader = GoYAMLReader()
        return try reader.value(of: reader.decode(root))
    }

    /// A decoded Go value: sigs.k8s.io/yaml's input.
    indirect enum Decoded {
        case scalar(GoYAMLScalar)
        case sequence([Decoded])
        /// Keys in first-set order; a later duplicate replaces the value.
        case mapping([(key: GoYAMLScalar, value: Decoded)])
    }

    // go-yaml v2's guard against alias bombs ("billion laughs").
    private var decodeCount = 0
    private var aliasCount = 0
    private var aliasDepth = 0
    private var expanding = Set<ObjectIdentifier>()

    private mutating func decode(_ node: GoYAMLNode) throws(Failure) -> Decoded {
        decodeCount += 1
        if aliasDepth > 0 { aliasCount += 1 }
        if aliasCount > 100, decodeCount > 1000, Double(aliasCount) / Double(decodeCount) > Self.allowedAliasRatio(decodeCount) {
            throw Failure(message: "yaml: document contains excessive aliasing")
        }
        switch node.kind {
        case let .alias(name):
            guard let target = node.target else { throw Failure(message: "yaml: unknown anchor '\(name)' referenced") }
            guard expanding.insert(ObjectIdentifier(node)).inserted else {
                throw Failure(message: "yaml: anchor '\(name)' value contains itself")
            }
            aliasDepth += 1
            defer {
                aliasDepth -= 1
                expanding.remove(ObjectIdentifier(node))
            }
            return try decode(target)
        case .scalar: return .scalar(try Self.scalar(node))
        case .sequence:
            var items: [Decoded] = []
            for child in node.children { items.append(try decode(child)) }
            return .sequence(items)
        case .mapping:
            var pairs: [(key: GoYAMLScalar, value: Decoded)] = []
            var stride = node.children.makeIterator()
            while let keyNode = stride.next(), let valueNode = stride.next() {
                if keyNode.isMergeKey {
                    try merge(valueNode, into: &pairs)
                    continue
                }
                let key = try decode(keyNode)
                guard case let .scalar(keyScalar) = key else { throw Failure(message: "yaml: invalid map key: \(Self.goSyntax(key))") }
                Self.set(keyScalar, try decode(valueNode), in: &pairs)
            }
            return .mapping(pairs)
        }
    }

    /// `<<`: a mapping's pairs overwrite those set before; of a list of mappings, the first wins.
    private mutating func merge(_ node: GoYAMLNode, into pairs: inout [(key: GoYAMLScalar, value: Decoded)]) throws(Failure) {
        let failure = Failure(message: "yaml: map merge requires map or sequence of maps as the value")
        switch node.resolved.kind {
        case .mapping:
            guard case let .mapping(merged) = try decode(node) else { throw failure }
            for (key, value) in merged { Self.set(key, value, in: &pairs) }
        case .sequence:
            for element in node.resolved.children.reversed() {
                guard case .mapping = element.resolved.kind, case let .mapping(merged) = try decode(element) else { throw failure }
                for (key, value) in merged { Self.set(key, value, in: &pairs) }
            }
        default: throw failure
        }
    }

    private static func set(_ key: GoYAMLScalar, _ value: Decoded, in pairs: inout [(key: GoYAMLScalar, value: Decoded)]) {
        if let index = pairs.firstIndex(where: { sameKey($0.key, key) }) {
            pairs[index].value = value
        } else {
            pairs.append((key, value))
        }
    }

    /// Go map-key equality of decoded keys (an int and a uint of one value are one key).
    private static func sameKey(_ a: GoYAMLScalar, _ b: GoYAMLScalar) -> Bool {
        switch (a, b) {
        case let (.float(x), .float(y)): x == y && !x.isNaN
        case let (.int(x), .uint(y)), let (.uint(y), .int(x)): x >= 0 && UInt64(x) == y
        case let (.timestamp(x), .string(y)), let (.string(y), .timestamp(x)), let (.string(x), .string(y)),
            let (.timestamp(x), .timestamp(y)):
            x.sameBytes(y)
        default: a == b
        }
    }

    private static func allowedAliasRatio(_ count: Int) -> Double {
        if count <= 400_000 { return 0.99 }
        if count >= 4_000_000 { return 0.10 }
        return 0.99 - 0.89 * (Double(count - 400_000) / 3_600_000)
    }

    /// A scalar node's value: plain scalars resolve, quoted and block ones are strings, and a
    /// tag asks for a kind the text must have.
    private static func scalar(_ node: GoYAMLNode) throws(Failure) -> GoYAMLScalar {
        let text = node.text
        let tag = node.tag.map(shortTag)
        switch tag {
        case nil: return node.isPlain ? GoYAMLScalar.resolve(text) : .string(text)
        case "!!str": return .string(text)
        case "!!binary":
            let cleaned = text.filter { $0 != "\r" && $0 != "\n" }
            guard let data = GoBase64.decode(cleaned) else { throw Failure(message: "yaml: !!binary value contains invalid base64 data") }
            return .string(String(decoding: data, as: UTF8.self))
        case "!!int", "!!float", "!!bool", "!!null", "!!timestamp":
            let resolved = GoYAMLScalar.resolve(text)
            if resolved.tag == tag {
                if case .timestamp = resolved { return .string(text) }
                return resolved
            }
            if tag == "!!float" {
                if case let .int(value) = resolved { return .float(Double(value)) }
                if case let .uint(value) = resolved { return .float(Double(value)) }
            }
            throw Failure(message: "yaml: cannot decode \(resolved.tag) `\(text)` as a \(tag ?? "")")
        default:
            // Any other tag, the non-specific `!` included: the text, as a string.
            if case .timestamp = GoYAMLScalar.resolve(text) { return .string(text) }
            return .string(text)
        }
    }

    private static func shortTag(_ tag: String) -> String {
        let prefix = "tag:yaml.org,2002:"
        return tag.hasPrefix(prefix) ? "!!" + tag.dropFirst(prefix.count) : tag
    }

    /// Go's `%#v` of a collection used as a key, for the error message.
    private static func goSyntax(_ value: Decoded) -> String {
        switch value {
        case let .scalar(scalar):
            switch scalar {
            case .null: return "interface {}(nil)"
            case let .bool(flag): return "\(flag)"
            case let .int(number): return "\(number)"
            case let .uint(number): return "0x" + String(number, radix: 16)
            case let .float(number): return GoNumbers.yamlFloat(number)
            case let .string(text), let .timestamp(text): return Value.string(text).description
            }
        case let .sequence(items): return "[]interface {}{" + items.map(goSyntax).joined(separator: ", ") + "}"
        case let .mapping(pairs):
            return "map[interface {}]interface {}{"
                + pairs.map { goSyntax(.scalar($0.key)) + ":" + goSyntax($0.value) }.joined(separator: ", ")
                + "}"
        }
    }

    // MARK: To the value OPA reads from the JSON text sigs.k8s.io/yaml and encoding/json write

    private func value(of decoded: Decoded) throws(Failure) -> Value {
        switch decoded {
        case let .scalar(scalar):
            switch scalar {
            case .null: return .null
            case let .bool(flag): return .bool(flag)
            case let .int(number): return .number(Number(number))
            case let .uint(number): return try Self.number(String(number))
            case let .float(number):
                guard let text = GoNumbers.jsonFloat(number) else {
                    throw Failure(message: "json: unsupported value: " + (number.isNaN ? "NaN" : number < 0 ? "-Inf" : "+Inf"))
                }
                return try Self.number(text)
            case let .string(text), let .timestamp(text): return .string(text)
            }
        case let .sequence(items):
            var values: [Value] = []
            for item in items { values.append(try value(of: item)) }
            return .array(values)
        case let .mapping(pairs):
            var byKey: [Value: Decoded] = [:]  // Value compares strings byte for byte, as Go does
            for (key, item) in pairs { byKey[.string(try Self.keyText(key, item))] = item }
            var members: [(key: Value, value: Value)] = []
            for (key, item) in byKey { members.append((key, try value(of: item))) }
            return .makeObject(members)
        }
    }

    private static func number(_ text: String) throws(Failure) -> Value {
        guard let number = (try? Number(text: text)) ?? nil else { throw Failure(message: "yaml: number \(text) out of range") }
        return .number(number)
    }

    /// sigs.k8s.io/yaml's key strings: numbers and booleans as text, floats through float32.
    private static func keyText(_ key: GoYAMLScalar, _ value: Decoded) throws(Failure) -> String {
        switch key {
        case let .string(text), let .timestamp(text): return text
        case let .int(number): return String(number)
        case let .bool(flag): return flag ? "true" : "false"
        case let .float(number): return GoNumbers.yamlFloat32Key(number)
        case let .uint(number): throw Failure(message: "unsupported map key of type: uint64, key: 0x\(String(number, radix: 16))")
        case .null: throw Failure(message: "unsupported map key of type: %!s(<nil>), key: <nil>")
        }
    }
}

/// Go's `base64.StdEncoding` decoding: padded standard alphabet, nothing else.
enum GoBase64 {
    static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.count % 4 == 0 else { return nil }
        var bytes: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        var padding = 0
        for (offset, character) in text.utf8.enumerated() {
            let value: UInt32
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(character - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(character - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(character - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="):
                // Padding only at the end, at most two.
                guard offset >= text.utf8.count - 2 else { return nil }
                padding += 1
                continue
            default: return nil
            }
            guard padding == 0 else { return nil }
            buffer = buffer << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                bytes.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return bytes
    }
}
