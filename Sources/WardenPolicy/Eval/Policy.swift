/// A compiled set of Rego modules: rules indexed by their full path (`data.<package>.<name>`).
/// Built once, immutable, shared by every evaluation.
public struct Policy: Sendable {
    public enum Syntax: Sendable { case v0, v1 }

    struct RuleSet: Sendable {
        let path: [String]
        let kind: RuleKind
        let definitions: [Rule]
        let defaultRule: Rule?
        let package: [String]
        /// `import data.a.b` makes `b` mean `data.a.b` in the module that imports it.
        let aliases: [String: [String]]
        /// For rules with many definitions: which ones can hold for a given input.
        let index: RuleIndex?

        /// The levels of OPA's index trie: the references the definitions' constraints read.
        let levelCount: Int
        /// Whether the index can change an answer without strict builtin errors
        /// (`IndexRelevance`); when it cannot, evaluation does without it.
        let indexMayHideErrors: Bool
        /// Every branch of every definition, for evaluations that do without the index.
        let everyBranch: [[Bool]]
    }

    let ruleSets: [[String]: RuleSet]

    /// Every rule's path below `data`, in a stable order (for tools that walk a policy).
    public var rulePaths: [[String]] { ruleSets.keys.sorted { $0.joined(separator: ".") < $1.joined(separator: ".") } }
    /// Every package path and each of its prefixes, for `data.a` when only `a.b` exists.
    let packagePaths: Set<[String]>
    /// Each rule's package and name (`r` of `r.a.b := 1` too): what a bare name in that package
    /// refers to.
    let ruleHeads: Set<[String]>

    /// Parses and compiles `modules` (file name → text). The syntax is v1 unless `syntax` says
    /// v0; a module that imports `rego.v1` is always read as v1.
    public init(modules: [(name: String, text: String)], syntax: Syntax = .v1) throws(PolicyError) {
        var parsed: [Module] = []
        for (name, text) in modules {
            let moduleSyntax: Parser.Syntax = syntax == .v1 || text.contains("import rego.v1") ? .v1 : .v0
            var parser = try Parser(text, file: name, syntax: moduleSyntax)
            parsed.append(try parser.module())
        }
        for module in parsed {
            for rule in module.rules {
                for body in [rule.body] + rule.elses.map(\.body) {
                    try Self.checkDeclarationsFollowUses(body)
                    try Self.checkDeclarationsUsed(body)
                }
                for term in rule.headTerms + rule.elses.map(\.value) {
                    for closure in SafetyClosures.of(term) { try Self.checkDeclarationsUsed(closure.body) }
                }
            }
        }
        let (ordered, unsafe) = Self.orderedForSafety(parsed)
        parsed = ordered
        var grouped: [[String]: [Rule]] = [:]
        var packages = Set<[String]>()
        var packageOf: [[String]: [String]] = [:]
        var aliasesOf: [[String]: [String: [String]]] = [:]
        for module in parsed {
            var aliases: [String: [String]] = [:]
            for (path, alias) in module.imports where ["data", "input"].contains(path.first ?? "") && path.count > 1 {
                aliases[alias] = path
            }
            for length in 0...module.package.count { packages.insert(Array(module.package.prefix(length))) }
            for rule in module.rules {
                let path = module.package + [rule.name] + rule.headPath
                // A ref head's prefixes behave as packages: data.p.r is the object its rules build.
                for length in (module.package.count + 1)..<path.count { packages.insert(Array(path.prefix(length))) }
                grouped[path, default: []].append(rule)
                packageOf[path] = module.package
                aliasesOf[path] = aliases
            }
        }
        var ruleSets: [[String]: RuleSet] = [:]
        let rulePaths = Set(grouped.keys)
        let nodes = packages.union(rulePaths)
        var compiled: [[String]: (kind: RuleKind, rules: [Rule], levels: Int, defaultRule: Rule?)] = [:]
        var facts: [[String]: (raises: Bool, rules: Set<[String]>, conflicts: Bool)] = [:]
        for (path, rules) in grouped {
            let defaults = rules.filter(\.isDefault)
            let definitions = rules.filter { !$0.isDefault }
            guard defaults.count <= 1 else {
                throw PolicyError(.typeError, "multiple default rules \(path.joined(separator: ".")) found", at: defaults[1].location)
            }
            let kinds = Set(rules.map(\.kind))
            guard kinds.count == 1, let kind = kinds.first else {
                throw PolicyError(
                    .compile, "conflicting rules \(path.joined(separator: ".")) found (mixed complete, partial and function definitions)",
                    at: rules[0].location)
            }
            if kind == .function, Set(rules.map(\.args.count)).count > 1 {
                throw PolicyError(.typeError, "function \(path.joined(separator: ".")) has arity mismatch", at: rules[0].location)
            }
            let (indexed, levels, relevance) = Self.withIndexConstraints(
                definitions, package: packageOf[path] ?? [], aliases: aliasesOf[path] ?? [:], rulePaths: rulePaths, nodes: nodes)
            compiled[path] = (kind, indexed, levels, defaults.first)
            facts[path] = (relevance.raises, relevance.rules, IndexRelevance.mayConflict(kind, indexed))
        }
        if let unsafe { throw unsafe }
        try Self.checkRecursion(parsed, rulePaths: rulePaths)
        let raising = IndexRelevance.raising(facts)
        for (path, rule) in compiled {
            let fact = facts[path]
            let mayHideErrors = (fact?.raises ?? true) || (fact?.rules.contains { raising[$0] ?? true } ?? true)
            ruleSets[path] = RuleSet(
                path: path, kind: rule.kind, definitions: rule.rules, defaultRule: rule.defaultRule, package: packageOf[path] ?? [],
                aliases: aliasesOf[path] ?? [:], index: rule.kind == .function ? nil : RuleIndex(rule.rules), levelCount: rule.levels,
                indexMayHideErrors: mayHideErrors, everyBranch: rule.rules.map { Array(repeating: true, count: 1 + $0.elses.count) })
        }
        self.ruleSets = ruleSets
        packagePaths = packages
        ruleHeads = Set(parsed.flatMap { module in module.rules.map { module.package + [$0.name] } })
        for module in parsed {
            var aliases: [String: [String]] = [:]
            for (path, alias) in module.imports where path.first == "data" { aliases[alias] = path }
            for rule in module.rules {
                try Self.checkConstantArguments(
                    terms: (rule.headTerms + rule.elses.map(\.value)).map { ($0, rule.location) },
                    bodies: [rule.body] + rule.elses.map(\.body)
                ) { name in isUserFunction(name, package: module.package, aliases: aliases) }
            }
        }
    }

    /// OPA's compile-time check, whether or not the body is ever evaluated: a variable that
    /// `:=` or `some` declares must not appear in an earlier statement of the same body.
    static func checkDeclarationsFollowUses(_ body: Body) throws(PolicyError) {
        var seen = Set<String>()
        var declared = Set<String>()
        for statement in body {
            for name in Evaluation.declaredVariables(statement.expression) where seen.contains(name) {
                throw PolicyError(
                    .compile, "var \(name) \(declared.contains(name) ? "assigned" : "referenced") above", at: statement.location)
            }
            seen.formUnion(Evaluation.variables(in: statement))
            declared.formUnion(Evaluation.declaredVariables(statement.expression))
        }
    }

    /// Evaluates `query` (Rego body text, e.g. `data.serving.startup.permit` or
    /// `x := data.p.q`) and returns every solution, as `opa eval` does.
    public func evaluate(
        query: String, input: Value?, data: Value = .object([]), options: EvaluationOptions = EvaluationOptions()
    ) throws(PolicyError) -> [Solution] {
        var parser = try Parser(query, file: "query", syntax: .v1)
        let body = try parser.query()
        try Self.checkConstantArguments(terms: [], bodies: [body]) { name in isUserFunction(name, package: [], aliases: [:]) }
        let evaluation = Evaluation(policy: self, input: input, data: data, options: options)
        return try evaluation.solve(body, text: query)
    }

    /// The value of one rule or document (`["serving", "startup", "permit"]`); nil when undefined.
    public func value(of path: [String], input: Value?, data: Value = .object([]), options: EvaluationOptions = EvaluationOptions())
        throws(PolicyError) -> Value?
    {
        let evaluation = Evaluation(policy: self, input: input, data: data, options: options)
        return try evaluation.document(at: path)
    }
}

/// Bounds and modes for one evaluation.
public struct EvaluationOptions: Sendable {
    /// Builtin errors abort evaluation (OPA's --strict-builtin-errors) instead of being undefined.
    public var strictBuiltinErrors = false
    /// Evaluation steps (expressions, iterations) before giving up.
    public var maximumSteps = 1_000_000
    /// Nesting of rule and function calls.
    public var maximumDepth = 256
    /// Wall-clock budget.
    public var timeout: Duration = .seconds(1)
    /// The time `time.now_ns` answers (fixed per evaluation, as in OPA).
    public var now: Int64?

    public init() {}
}

/// One solution of a query: the expressions' values and the query's variable bindings.
public struct Solution: Sendable, Equatable {
    public let expressions: [Value]
    public let bindings: [String: Value]
}
