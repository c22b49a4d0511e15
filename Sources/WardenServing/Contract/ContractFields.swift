import WardenJSON

/// One object of a contract, read strictly: every key must be one the format defines (a typo
/// such as `input_shema` would otherwise switch a check off without a word), and every error
/// names the key path (`inputs[2].shape`) so the author knows what to fix.
package struct ContractFields {
    /// Where this object is in the contract ("" for the top level).
    package let path: String
    private let members: [(key: String, value: JSONValue)]

    package init(_ json: JSONValue, at path: String, keys: [String]) throws {
        guard case let .object(members) = json else { throw ContractError("\(Self.label(path)) must be a JSON object") }
        for member in members where !keys.contains(member.key) {
            throw ContractError(Self.unknownKeyMessage(member.key, at: path, keys: keys))
        }
        self.path = path
        self.members = members
    }

    package subscript(key: String) -> JSONValue? { members.first { $0.key == key }?.value }

    /// The path of `key` in this object.
    package func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    package func error(_ key: String, _ problem: String) -> ContractError { ContractError("\(path(key)): \(problem)") }

    package func string(_ key: String) throws -> String? {
        switch self[key] {
        case nil: return nil
        case let .string(text)?: return text
        default: throw error(key, "must be a string")
        }
    }

    /// The items of an array member; empty when the key is absent.
    package func array(_ key: String) throws -> [JSONValue] {
        switch self[key] {
        case nil: return []
        case let .array(items)?: return items
        default: throw error(key, "must be an array")
        }
    }

    package func strings(_ key: String) throws -> [String] {
        try array(key).enumerated().map { index, item in
            guard case let .string(text) = item else { throw ContractError("\(path(key))[\(index)]: must be a string") }
            return text
        }
    }

    /// A JSON Schema member: an object or a boolean (draft 2020-12 allows both).
    package func schema(_ key: String) throws -> JSONValue? {
        switch self[key] {
        case nil: return nil
        case let value? where value.isObject || value == .bool(true) || value == .bool(false): return value
        default: throw error(key, "must be a JSON Schema (an object or a boolean)")
        }
    }

    package static func label(_ path: String) -> String { path.isEmpty ? "the contract" : path }

    package static func unknownKeyMessage(_ key: String, at path: String, keys: [String]) -> String {
        let location = path.isEmpty ? "" : "\(path): "
        if let removed = removedKeys[key], path.isEmpty { return "\(location)\"\(key)\" is no longer part of the contract: \(removed)" }
        let guess = keys.min { editDistance(key, $0) < editDistance(key, $1) }.flatMap { editDistance(key, $0) <= 2 ? $0 : nil }
        let hint = guess.map { " (did you mean \"\($0)\"?)" } ?? ""
        return "\(location)unknown key \"\(key)\"\(hint); the keys here are \(keys.joined(separator: ", "))"
    }

    /// Keys earlier versions of the format read, with what to do instead.
    package static let removedKeys = [
        "class_labels":
            "an ONNX classifier carries its own labels (skl2onnx's classlabels_strings or classlabels_ints), and Warden answers with them; delete the key"
    ]

    /// Levenshtein distance, for suggesting the key a typo meant (keys are short).
    package static func editDistance(_ a: String, _ b: String) -> Int {
        let b = Array(b.utf8)
        var previous = Array(0...b.count)
        for (i, x) in a.utf8.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension JSONValue {
    package var isObject: Bool {
        if case .object = self { true } else { false }
    }
}
