extension Policy {
    /// OPA's safety checks of every rule (`CheckSafetyRuleHeads`, `CheckSafetyRuleBodies`):
    /// each body and `else` body in OPA's order, and its head's variables bound by it. Returns
    /// the modules with their bodies ordered, and the first unsafe variable, which the caller
    /// reports after the checks OPA's compiler runs before this one.
    static func orderedForSafety(_ modules: [Module]) -> (modules: [Module], unsafe: PolicyError?) {
        var ruleNames: [[String]: Set<String>] = [:]
        var arities: [[String]: Int] = [:]
        for module in modules {
            for rule in module.rules {
                ruleNames[module.package, default: []].insert(rule.name)
                if rule.kind == .function { arities[module.package + [rule.name]] = rule.args.count }
            }
        }
        var firstUnsafe: PolicyError?
        let ordered = modules.map { module in
            let aliases = Dictionary(module.imports.map { ($0.alias, $0.path) }, uniquingKeysWith: { first, _ in first })
            let safety = BodySafety(
                outputs: SafetyOutputs { name in
                    let dotted = name.joined(separator: ".")
                    if let arity = Builtins.table[dotted]?.arity ?? operatorArities[dotted] { return arity }
                    if name.first == "data" { return arities[Array(name.dropFirst())] }
                    if let alias = name.first.flatMap({ aliases[$0] }) { return arities[Array(alias.dropFirst()) + name.dropFirst()] }
                    return arities[module.package + name]
                })
            let moduleGlobals = Set(["input", "data"]).union(ruleNames[module.package] ?? []).union(aliases.keys)
            let rules = module.rules.map { rule in
                var globals = moduleGlobals
                for arg in rule.args { globals.formUnion(SafetyVariables.of(arg, .everything)) }
                do throws(BodySafety.Unsafe) {
                    return try orderedRule(rule, safety, globals: globals)
                } catch {
                    if firstUnsafe == nil { firstUnsafe = PolicyError(.unsafeVariable, "var \(error.name) is unsafe", at: error.location) }
                    return rule
                }
            }
            return Module(package: module.package, imports: module.imports, rules: rules, file: module.file)
        }
        return (ordered, firstUnsafe)
    }

    /// OPA's check that what a body declares is used: a `some x` whose `x` no later statement
    /// mentions, or an `every` key or value its body never reads, is `declared var x unused`,
    /// in every body and closure, evaluated or not.
    static func checkDeclarationsUsed(_ body: Body) throws(PolicyError) {
        for (index, statement) in body.enumerated() {
            if case let .someDeclaration(names) = statement.expression {
                let later = SafetyVariables.everything(in: Array(body[(index + 1)...]))
                if let unused = names.first(where: { !later.contains($0) }) {
                    throw PolicyError(.compile, "declared var \(unused) unused", at: statement.location)
                }
            }
            if case let .every(key, value, _, inner) = statement.expression {
                let used = SafetyVariables.everything(in: inner)
                if let unused = [key, value].compactMap({ $0 }).first(where: { !used.contains($0) }) {
                    throw PolicyError(.compile, "declared var \(unused) unused", at: statement.location)
                }
            }
            for closure in SafetyClosures.of(statement) {
                try checkDeclarationsFollowUses(closure.body)
                try checkDeclarationsUsed(closure.body)
            }
        }
    }

    /// Builtins the evaluator implements itself, and the operators' names, with OPA's arities.
    private static let operatorArities: [String: Int] = [
        "walk": 1, "equal": 2, "neq": 2, "lt": 2, "gt": 2, "lte": 2, "gte": 2, "plus": 2, "minus": 2, "mul": 2, "div": 2,
        "rem": 2, "and": 2, "or": 2,
    ]

    private static func orderedRule(_ rule: Rule, _ safety: BodySafety, globals: Set<String>) throws(BodySafety.Unsafe) -> Rule {
        guard !rule.isDefault else { return rule }
        var result = rule
        let (body, headTerms) = try ordered(rule.body, head: rule.headTerms, safety, globals: globals, location: rule.location)
        result.body = body
        var terms = headTerms[...]
        if rule.key != nil { result.key = terms.popFirst() }
        result.headSegments = Array(terms.prefix(rule.headSegments.count))
        result.value = terms.last ?? rule.value
        result.elses = try rule.elses.map { branch throws(BodySafety.Unsafe) in
            let (body, value) = try ordered(branch.body, head: [branch.value], safety, globals: globals, location: rule.location)
            return (value.last ?? branch.value, body)
        }
        return result
    }

    /// A body in OPA's order, with the head's terms it must bind. OPA's compiler moves the
    /// head's references and calls into the body's end; when its order needs one earlier (the
    /// head's `input.xs[i]` binds the body's `i`), that term moves into the body, as a variable
    /// of its own that the head then reads.
    private static func ordered(
        _ body: Body, head: [Term], _ safety: BodySafety, globals: Set<String>, location: SourceLocation
    ) throws(BodySafety.Unsafe) -> (Body, [Term]) {
        func binding(_ index: Int, _ term: Term) -> Statement {
            Statement(expression: .unify(.variable("$head\(index)"), term), with: [], location: location)
        }
        let order = try safety.order(body, globals: globals, tail: head.enumerated().map { binding($0, $1) })
        guard let last = order.lastIndex(where: { $0 < body.count }) else { return (body, head) }
        var terms = head
        var result: Body = []
        for (step, position) in order[...last].enumerated() {
            if position < body.count {
                result.append(body[position])
                continue
            }
            // Only a term that binds what a later statement uses moves (a constant head stays).
            let index = position - body.count
            let later = order[(step + 1)...last].filter { $0 < body.count }
            guard later.contains(where: { !SafetyVariables.of(body[$0]).isDisjoint(with: SafetyVariables.of(head[index])) }) else {
                continue
            }
            result.append(binding(index, head[index]))
            terms[index] = .variable("$head\(index)")
        }
        return (result, terms)
    }
}
