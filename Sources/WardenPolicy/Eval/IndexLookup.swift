/// The definitions of a rule that OPA's index hands to evaluation, in the order its trie
/// yields them, and whether evaluation stops at the first value (OPA's early exit).
///
/// Both change answers only where an error would be raised: with every admitted branch giving
/// the same constant (`allow if …` defined several times), OPA evaluates definitions in trie
/// order and stops at the first that holds, and at its first solution, so a later definition
/// or iteration that would fail is never reached.
struct IndexLookup {
    let rules: [Rule]
    let earlyExit: Bool
}

/// Where OPA's trie traversal reaches a branch: per level (reference), the child taken. At
/// each level the traversal visits "no expectation" first, then "defined", then the matching
/// values (an array pattern before a collection's members, a member by its position).
struct TraversalKey: Comparable {
    /// One rank per level; a body that expects several constants of one reference ends there
    /// (its rules hang on that level's nodes, reached before anything below them).
    var steps: [[Int]] = []

    static func < (a: TraversalKey, b: TraversalKey) -> Bool {
        for (x, y) in zip(a.steps, b.steps) where x != y { return x.lexicographicallyPrecedes(y) }
        return a.steps.count < b.steps.count
    }
}

extension IndexConstraints {
    /// The key of a branch these documents admit, over a rule set with `levels` references.
    func traversalKey(_ documents: IndexDocuments, levels: Int) -> TraversalKey {
        var key = TraversalKey(steps: Array(repeating: [0], count: levels))
        for check in checks where check.level < levels {
            guard let value = documents.resolve(check.reference) else { continue }
            let ranks = check.expectations.compactMap { Self.rank($0, value) }
            if check.expectations.count == 1 || check.expectations.contains(where: \.isDefinedOnly) {
                key.steps[check.level] = check.expectations.count == 1 ? ranks.first ?? [0] : [1]
            } else {
                key.steps[check.level] = ranks.min { $0.lexicographicallyPrecedes($1) } ?? [0]
                key.steps = Array(key.steps.prefix(check.level + 1)) + [[-1]]
                return key
            }
        }
        return key
    }

    /// The child an expectation is reached through for `value`; nil when it does not match.
    static func rank(_ expectation: Expectation, _ value: Value) -> [Int]? {
        guard matches(expectation, value) else { return nil }
        switch expectation {
        case .defined:
            return [1]
        case let .scalar(wanted):
            switch value {
            case let .array(items), let .set(items): return [2, 1, items.firstIndex(of: wanted) ?? 0]
            case let .object(pairs): return [2, 1, pairs.firstIndex { $0.value == wanted } ?? 0]
            default: return [2, 0]
            }
        case let .array(elements), let .glob(_, elements):
            let positions = elements.map { $0 == .any ? 0 : 1 }
            if case .string = value { return [2, 1] + positions }
            return [2, 0] + positions
        }
    }
}

extension Policy.RuleSet {
    /// What OPA's index yields for these documents.
    func lookup(_ documents: IndexDocuments) -> IndexLookup {
        let pool = index?.candidates(input: documents.input) ?? Array(definitions.indices)
        var reached: [(key: TraversalKey, position: Int)] = []
        var commonValue: Value?
        var sameConstant = kind == .complete || kind == .function
        for position in pool {
            let rule = definitions[position]
            let branches = rule.indexConstraints.isEmpty ? [IndexConstraints.none] : rule.indexConstraints
            var first: TraversalKey?
            for (branch, constraints) in branches.enumerated() where constraints.admits(documents) {
                let key = constraints.traversalKey(documents, levels: levelCount)
                if first.map({ key < $0 }) ?? true { first = key }
                let head = branch == 0 ? rule.value : rule.elses[branch - 1].value
                if sameConstant, let value = Evaluation.literalValue(head), commonValue.map({ $0 == value }) ?? true {
                    commonValue = value
                } else {
                    sameConstant = false
                }
            }
            if let first { reached.append((first, position)) }
        }
        reached.sort { $0.key != $1.key ? $0.key < $1.key : $0.position < $1.position }
        return IndexLookup(rules: reached.map { definitions[$0.position] }, earlyExit: sameConstant && commonValue != nil)
    }
}
