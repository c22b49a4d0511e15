/// A lookup table over many definitions of one rule, so that a kill switch with a thousand
/// rules costs a dictionary lookup, not a thousand constraint checks: each definition whose
/// index constraints start with `input.<path>` equal to a scalar is filed under it. It only
/// narrows the candidates; each candidate's constraints are still checked.
struct RuleIndex: Sendable {
    struct Group: Sendable {
        let path: [Value]
        let table: [Value: [Int]]
    }

    let groups: [Group]
    let unindexed: [Int]

    /// Worth building only for rules with many definitions.
    static let threshold = 8

    init?(_ definitions: [Rule]) {
        guard definitions.count >= Self.threshold else { return nil }
        var tables: [[Value]: [Value: [Int]]] = [:]
        var order: [[Value]] = []
        var unindexed: [Int] = []
        for (index, rule) in definitions.enumerated() {
            guard rule.elses.isEmpty, let (path, value) = Self.key(of: rule.indexConstraints.first ?? .none) else {
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

    /// The body's first check, when it is `input.<path>` equal to one scalar.
    static func key(of constraints: IndexConstraints) -> ([Value], Value)? {
        guard let check = constraints.checks.first, check.reference.root == .input, check.expectations.count == 1,
            case let .scalar(value) = check.expectations[0]
        else { return nil }
        return (check.reference.path, value)
    }

    /// Definitions that can hold for this input, in their original order. A collection holds
    /// a scalar for the index when it has it as a member.
    func candidates(input: Value?) -> [Int] {
        var chosen = unindexed
        let documents = IndexDocuments(input: input, data: .null, arguments: [])
        for group in groups {
            guard let value = documents.resolve(.init(root: .input, path: group.path)) else { continue }
            switch value {
            case let .array(items), let .set(items):
                for item in items { chosen += group.table[item] ?? [] }
            case let .object(pairs):
                for pair in pairs { chosen += group.table[pair.value] ?? [] }
            default:
                chosen += group.table[value] ?? []
            }
        }
        chosen.sort()
        // A collection can hold the same member twice, and a definition is filed once per group.
        var unique: [Int] = []
        unique.reserveCapacity(chosen.count)
        for position in chosen where unique.last != position { unique.append(position) }
        return unique
    }
}
