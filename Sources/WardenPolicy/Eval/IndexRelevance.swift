/// Whether OPA's rule index can change an answer of a rule set when builtin errors are not
/// strict. The index only keeps bodies from running that would fail anyway; that shows when a
/// body raises an error before failing, and without strict builtin errors only a conflict can
/// be raised: by a rule or function the body evaluates that can conflict, a comprehension, an
/// object with computed keys. A rule set whose bodies do none of that gets the same answers
/// without the index, so Warden skips it there (it costs a lookup of each expected reference).
struct IndexRelevance {
    /// What a term leads to, when it is not local: a rule or function, or a package document
    /// (several rules at once).
    enum Link {
        case none
        case rule([String])
        case package
    }

    let link: (Term) -> Link
    /// Raises by itself: a construct that can conflict, or a package document.
    private(set) var raises = false
    /// The rules and functions it evaluates, which may raise in turn.
    private(set) var rules: Set<[String]> = []

    init(link: @escaping (Term) -> Link) {
        self.link = link
    }

    /// Reads a rule's head terms and bodies.
    mutating func visit(terms: [(Term, SourceLocation)], bodies: [Body]) {
        var raises = self.raises
        var rules = self.rules
        SyntaxWalk.walk(terms: terms, bodies: bodies, statement: { if !$0.with.isEmpty { raises = true } }) { term, _ in
            switch link(term) {
            case let .rule(path): rules.insert(path)
            case .package: raises = true
            case .none: break
            }
            switch term {
            case let .object(pairs) where pairs.contains(where: { !Evaluation.isLiteral($0.0) }): raises = true
            case .arrayComprehension, .setComprehension, .objectComprehension: raises = true
            default: break
            }
        }
        self.raises = raises
        self.rules = rules
    }

    /// Whether two of a rule's definitions (or solutions) can give different values: any head
    /// that is not a constant, two different constants, or a document built from keys.
    static func mayConflict(_ kind: RuleKind, _ definitions: [Rule]) -> Bool {
        switch kind {
        case .partialSet, .refHead(multiValue: true): return false
        case .partialObject, .refHead(multiValue: false): return true
        case .complete, .function:
            let heads = definitions.flatMap { [$0.value] + $0.elses.map(\.value) }.map(Evaluation.literalValue)
            guard let first = heads.first else { return false }
            return heads.contains { $0 == nil || $0 != first }
        }
    }

    /// Which rule sets may raise an error without strict builtin errors, following the rules
    /// they evaluate (a cycle counts as raising).
    static func raising(_ facts: [[String]: (raises: Bool, rules: Set<[String]>, conflicts: Bool)]) -> [[String]: Bool] {
        var result: [[String]: Bool] = [:]
        var visiting: Set<[String]> = []
        func raises(_ path: [String]) -> Bool {
            if let known = result[path] { return known }
            guard let fact = facts[path], !visiting.contains(path) else { return true }
            visiting.insert(path)
            let answer = fact.raises || fact.conflicts || fact.rules.contains(where: raises)
            visiting.remove(path)
            result[path] = answer
            return answer
        }
        for path in facts.keys { _ = raises(path) }
        return result
    }
}
