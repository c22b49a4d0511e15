extension Builtins {
    static let collectionBuiltins: [String: Builtin] = [
        "array.concat": fixed(2) { .array(try $0.array(0) + (try $0.array(1))) },
        "array.slice": fixed(3) { args in
            let items = try args.array(0)
            let start = max(0, min(Int(try args.integer(1)), items.count))
            let stop = max(start, min(Int(try args.integer(2)), items.count))
            return .array(Array(items[start..<stop]))
        },
        "array.reverse": fixed(1) { .array(try $0.array(0).reversed()) },
        "object.get": fixed(3) { args in
            _ = try args.object(0)
            if case let .array(path) = args[1] {
                var current = args[0]
                for key in path {
                    guard let child = current[key] else { return args[2] }
                    current = child
                }
                return current
            }
            return args[0][args[1]] ?? args[2]
        },
        "object.keys": fixed(1) { .makeSet(try $0.object(0).map(\.key)) },
        "object.union": fixed(2) { args in
            _ = try args.object(0)
            _ = try args.object(1)
            return merge(args[0], args[1])
        },
        "object.union_n": fixed(1) { args in
            var result = Value.object([])
            for item in try args.array(0) {
                guard case .object = item else { throw BuiltinError.operand(1, "an array of objects", item) }
                result = merge(result, item)
            }
            return result
        },
        "object.remove": fixed(2) { args in
            let pairs = try args.object(0)
            let keys = try keySet(args[1])
            return .object(pairs.filter { !keys.contains($0.key) })
        },
        "object.filter": fixed(2) { args in
            let pairs = try args.object(0)
            let keys = try keySet(args[1])
            return .object(pairs.filter { keys.contains($0.key) })
        },
        "union": fixed(1) { args in
            var items: [Value] = []
            for set in try args.set(0) {
                guard case let .set(members) = set else { throw BuiltinError.operand(1, "a set of sets", set) }
                items += members
            }
            return .makeSet(items)
        },
        "intersection": fixed(1) { args in
            var result: Set<Value>?
            for set in try args.set(0) {
                guard case let .set(members) = set else { throw BuiltinError.operand(1, "a set of sets", set) }
                result = result.map { $0.intersection(members) } ?? Set(members)
            }
            return .makeSet(result ?? [])
        },
    ]

    /// The keys object.remove and object.filter take: an array or set of keys, or an object's keys.
    static func keySet(_ value: Value) throws -> Set<Value> {
        switch value {
        case let .array(items), let .set(items): return Set(items)
        case let .object(members): return Set(members.map(\.key))
        default: throw BuiltinError.operand(2, "one of {object, set, array}", value)
        }
    }

    /// object.union: keys of `b` win; nested objects merge recursively.
    static func merge(_ a: Value, _ b: Value) -> Value {
        guard case let .object(left) = a, case let .object(right) = b else { return b }
        var members: [Value: Value] = Dictionary(left.map { ($0.key, $0.value) }, uniquingKeysWith: { x, _ in x })
        for (key, value) in right {
            members[key] = members[key].map { merge($0, value) } ?? value
        }
        return .makeObject(members.map { (key: $0.key, value: $0.value) })
    }
}
