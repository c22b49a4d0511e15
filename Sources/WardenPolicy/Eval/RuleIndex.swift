/// An index over many definitions of one rule, as OPA's rule indexer does for the common
/// shape `input.a.b == "constant"`: each definition is filed under the first such equality its
/// body requires, so an evaluation runs only the definitions whose constant matches the input
/// (plus those that have no such equality). A kill switch with a thousand rules then costs a
/// dictionary lookup, not a thousand bodies.
struct RuleIndex: Sendable {
    struct Group: Sendable {
        let path: [String]
        let table: [Value: [Int]]
    }

    let groups: [Group]
    let unindexed: [Int]

    /// Worth building only for rules with many definitions.
    static let threshold = 8

    init?(_ definitions: [Rule]) {
        guard definitions.count >= Self.threshold else { return nil }
        var tables: [[String]: [Value: [Int]]] = [:]
        var order: [[String]] = []
        var unindexed: [Int] = []
        for (index, rule) in definitions.enumerated() {
            guard rule.elses.isEmpty, let (path, value) = Self.key(of: rule.body) else {
                unindexed.append(index)
                continue
            }
            if tables[path] == nil { order.append(path) }
            tables[path, default: [:]][value, default: []].append(index)
        }
        guard !tables.isEmpty else { return nil }
        groups = order.compactMap { path in tables[path].map { Group(path: path, table: $0) } }
        self.unindexed = unindexed
    }

    /// The first `input.<path> == constant` (either way round) the body requires.
    static func key(of body: Body) -> ([String], Value)? {
        for statement in body where statement.with.isEmpty {
            guard case let .term(.binary("==", left, right)) = statement.expression else { continue }
            if let path = inputPath(left), case let .scalar(value) = right { return (path, value) }
            if let path = inputPath(right), case let .scalar(value) = left { return (path, value) }
        }
        return nil
    }

    static func inputPath(_ term: Term) -> [String]? {
        guard case let .ref(.variable("input"), segments) = term else { return nil }
        var path: [String] = []
        for segment in segments {
            guard case let .scalar(.string(part)) = segment else { return nil }
            path.append(part)
        }
        return path
    }

    /// Definitions that can hold for this input, in their original order.
    func candidates(input: Value?) -> [Int] {
        var chosen = unindexed
        for group in groups {
            guard var value = input else { break }
            var found = true
            for part in group.path {
                guard let child = value[.string(part)] else {
                    found = false
                    break
                }
                value = child
            }
            if found, let matches = group.table[value] { chosen += matches }
        }
        return chosen.sorted()
    }
}
