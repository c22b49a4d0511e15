/// The definitions of a rule that OPA's index hands to evaluation, in the order its trie
/// yields them, and whether evaluation stops at the first value (OPA's early exit).
///
/// Both change answers only where an error would be raised: with every admitted branch giving
/// the same constant (`allow if …` defined several times), OPA evaluates definitions in trie
/// order and stops at the first that holds, and at its first solution, so a later definition
/// or iteration that would fail is never reached.
struct IndexLookup {
    let rules: [Rule]
    /// Per rule, which of its branches (the body, then each `else`) the index admits.
    let admitted: [[Bool]]
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
    /// What OPA's index yields for these documents. Without strict builtin errors, a rule set
    /// whose answers the index cannot change gets every definition, in order (the lookup table
    /// of a large one still narrows them).
    func lookup(_ documents: IndexDocuments, strict: Bool) -> IndexLookup {
        if !strict, !indexMayHideErrors, index == nil { return IndexLookup(rules: definitions, admitted: everyBranch, earlyExit: false) }
        var admitted: [(position: Int, branches: [Bool])] = []
        var commonValue: Value?
        var sameConstant = kind == .complete || kind == .function
        func visit(_ position: Int) {
            let rule = definitions[position]
            let branches = rule.indexConstraints.map { $0.admits(documents) }
            guard branches.contains(true) else { return }
            for (branch, reached) in branches.enumerated() where reached {
                if sameConstant, let value = rule.headConstants[branch], commonValue.map({ $0 == value }) ?? true {
                    commonValue = value
                } else {
                    sameConstant = false
                }
            }
            admitted.append((position, branches))
        }
        if let index {
            for position in index.candidates(input: documents.input) { visit(position) }
        } else {
            for position in definitions.indices { visit(position) }
        }
        let earlyExit = sameConstant && commonValue != nil
        if admitted.count > 1 {
            // The trie order: where each definition's first admitted branch is reached.
            let keys = admitted.map { position, branches in
                zip(definitions[position].indexConstraints, branches).filter(\.1).map { $0.0.traversalKey(documents, levels: levelCount) }
                    .min()
                    ?? TraversalKey()
            }
            let order = admitted.indices.sorted {
                keys[$0] != keys[$1] ? keys[$0] < keys[$1] : admitted[$0].position < admitted[$1].position
            }
            admitted = order.map { admitted[$0] }
        }
        return IndexLookup(rules: admitted.map { definitions[$0.position] }, admitted: admitted.map(\.branches), earlyExit: earlyExit)
    }
}
