/// `json.patch`: RFC 6902 operations on a document, as OPA applies them. A failing operation
/// (a missing path, a `test` that does not hold) is a builtin error: undefined unless
/// builtin errors are strict.
extension Builtins {
    static let jsonPatchBuiltins: [String: Builtin] = [
        "json.patch": fixed(2) { args in
            var document = args[0]
            for operation in try args.array(1) {
                guard let patched = try JSONPatch.apply(operation, to: document) else {
                    throw BuiltinError(message: "the patch operation does not apply to the document")
                }
                document = patched
            }
            return document
        }
    ]
}

enum JSONPatch {
    /// One operation; nil when it cannot apply.
    static func apply(_ operation: Value, to document: Value) throws -> Value? {
        guard case let .string(op)? = operation[.string("op")], let pathValue = operation[.string("path")],
            let path = try pointer(pathValue)
        else { throw BuiltinError(message: "a patch operation needs string op and path") }
        switch op {
        case "add":
            guard let value = operation[.string("value")] else { return nil }
            return insert(value, at: path[...], in: document)
        case "remove":
            return remove(at: path[...], in: document)
        case "replace":
            guard let value = operation[.string("value")] else { return nil }
            if path.isEmpty { return value }
            guard let removed = remove(at: path[...], in: document) else { return nil }
            return insert(value, at: path[...], in: removed)
        case "move", "copy":
            guard let fromValue = operation[.string("from")], let from = try pointer(fromValue),
                let value = lookup(from[...], in: document)
            else { return nil }
            var base = document
            if op == "move" {
                guard let removed = remove(at: from[...], in: document) else { return nil }
                base = removed
            }
            return insert(value, at: path[...], in: base)
        case "test":
            guard let value = operation[.string("value")], lookup(path[...], in: document) == value else { return nil }
            return document
        default:
            return nil
        }
    }

    /// A path as a JSON Pointer string or an array of keys.
    static func pointer(_ value: Value) throws -> [Value]? {
        switch value {
        case let .array(keys): return keys
        case let .string(text):
            guard !text.isEmpty else { return [] }
            guard text.hasPrefix("/") else { return nil }
            return text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
                .string($0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~"))
            }
        default: return nil
        }
    }

    static func lookup(_ path: ArraySlice<Value>, in document: Value) -> Value? {
        guard let key = path.first else { return document }
        switch document {
        case let .object(pairs):
            guard let child = pairs.first(where: { $0.key == key })?.value else { return nil }
            return lookup(path.dropFirst(), in: child)
        case let .array(items):
            guard let index = arrayIndex(key, count: items.count), index < items.count else { return nil }
            return lookup(path.dropFirst(), in: items[index])
        case let .set(items):
            guard items.contains(key) else { return nil }
            return lookup(path.dropFirst(), in: key)
        default: return nil
        }
    }

    private static func arrayIndex(_ key: Value, count: Int) -> Int? {
        if case let .number(n) = key { return nonNegativeIndex(n) }
        guard case let .string(text) = key else { return nil }
        if text == "-" { return count }
        guard let index = Int(text), index >= 0, String(index) == text else { return nil }
        return index
    }

    // Kept out of line: inlined into arrayIndex, Swift 6.3.1's optimiser crashes in release
    // builds (CopyPropagation's ownership verifier).
    @inline(never)
    private static func nonNegativeIndex(_ number: Number) -> Int? {
        guard let integer = number.exactInteger, let index = Int(exactly: integer), index >= 0 else { return nil }
        return index
    }

    static func insert(_ value: Value, at path: ArraySlice<Value>, in document: Value) -> Value? {
        guard let key = path.first else { return value }
        let last = path.count == 1
        switch document {
        case var .object(pairs):
            if let at = pairs.firstIndex(where: { $0.key == key }) {
                guard let child = last ? value : insert(value, at: path.dropFirst(), in: pairs[at].value) else { return nil }
                pairs[at].value = child
                return .object(pairs)
            }
            guard last else { return nil }
            return .makeObject(pairs + [(key: key, value: value)])
        case var .array(items):
            guard let index = arrayIndex(key, count: items.count), index <= items.count else { return nil }
            if last {
                items.insert(value, at: index)
                return .array(items)
            }
            guard index < items.count, let child = insert(value, at: path.dropFirst(), in: items[index]) else { return nil }
            items[index] = child
            return .array(items)
        case let .set(items):
            guard last else { return nil }
            return .makeSet(items + [value])
        default:
            return nil
        }
    }

    static func remove(at path: ArraySlice<Value>, in document: Value) -> Value? {
        guard let key = path.first else { return nil }
        let last = path.count == 1
        switch document {
        case var .object(pairs):
            guard let at = pairs.firstIndex(where: { $0.key == key }) else { return nil }
            if last {
                pairs.remove(at: at)
            } else {
                guard let child = remove(at: path.dropFirst(), in: pairs[at].value) else { return nil }
                pairs[at].value = child
            }
            return .object(pairs)
        case var .array(items):
            guard let index = arrayIndex(key, count: items.count), index < items.count else { return nil }
            if last {
                items.remove(at: index)
            } else {
                guard let child = remove(at: path.dropFirst(), in: items[index]) else { return nil }
                items[index] = child
            }
            return .array(items)
        case let .set(items):
            guard last, items.contains(key) else { return nil }
            return .set(items.filter { $0 != key })
        default:
            return nil
        }
    }
}
