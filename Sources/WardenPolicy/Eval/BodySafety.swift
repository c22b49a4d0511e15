/// OPA's safety check of a body (compile.go, `reorderBodyForSafety`), run when a policy
/// compiles: every variable must be bound before it is used, and the compiler moves statements
/// so that it is. Like OPA, Warden checks every rule, branch and closure this way, also those an
/// evaluation never reaches, and evaluates bodies in the order found here.
struct BodySafety {
    let outputs: SafetyOutputs

    /// A variable that no order of its body binds before use (`rego_unsafe_var_error`).
    struct Unsafe: Error {
        let name: String
        let location: SourceLocation
    }

    /// `body` in OPA's order, given the names bound before it runs. `tail` are statements that
    /// must be safe after the body but are not part of it: a rule head's or a comprehension
    /// head's terms, which OPA's compiler moves to the body's end.
    func reorder(_ body: Body, globals: Set<String>, tail: Body = []) throws(Unsafe) -> Body {
        try order(body, globals: globals, tail: tail).filter { $0 < body.count }.map { body[$0] }
    }

    /// The positions of `body + tail` in OPA's order.
    func order(_ body: Body, globals: Set<String>, tail: Body = []) throws(Unsafe) -> [Int] {
        let statements = body + tail
        let facts = Facts(statements, globals: globals)
        // Warden's evaluator names variables where OPA's compiler renames declared ones; keeping
        // declarations and the closures that precede them in place gives the same answers. When
        // that leaves a statement unplaced, OPA's own order decides whether the body is safe.
        let order: [Int]
        switch place(statements, facts, globals: globals, constrained: true) {
        case let .success(found): order = found
        case let .failure(unsafe):
            guard case let .success(found) = place(statements, facts, globals: globals, constrained: false) else { throw unsafe }
            order = found
        }
        try checkClosures(statements, order: order, globals: globals)
        return order
    }

    /// What the ordering reads from each statement.
    private struct Facts {
        let variables: [Set<String>]
        /// Variables of the body that the statement's closures use (they must be bound first).
        let closureVariables: [Set<String>]
        /// Statements that must come before each one in Warden's order.
        let after: [Set<Int>]

        init(_ statements: Body, globals: Set<String>) {
            variables = statements.map { SafetyVariables.of($0).filter { !$0.hasPrefix("$") } }
            let declared = statements.map { Set(Evaluation.declaredVariables($0.expression)) }
            let mentioned = statements.map { SafetyClosures.of($0).reduce(into: Set<String>()) { $0.formUnion($1.variables) } }
            let bodyVariables = variables.reduce(into: Set<String>()) { $0.formUnion($1) }
            closureVariables = statements.indices.map { i in
                // A name declared by this statement or a later one names another variable there.
                let later = declared[i...].reduce(into: Set<String>()) { $0.formUnion($1) }
                return mentioned[i].intersection(bodyVariables).subtracting(globals).subtracting(later)
            }
            let variables = variables
            after = statements.indices.map { i in
                Set(
                    (0..<i).filter { j in
                        !declared[j].isDisjoint(with: variables[i].union(mentioned[i])) || !declared[i].isDisjoint(with: mentioned[j])
                    })
            }
        }
    }

    /// OPA's fixed point: in each pass, in body order, every statement whose variables (and its
    /// closures' variables of this body) are bound or bound by itself joins the order.
    private func place(_ statements: Body, _ facts: Facts, globals: Set<String>, constrained: Bool) -> Result<[Int], Unsafe> {
        var safe = globals
        var unsafe = facts.variables.map { $0.subtracting(globals) }
        var placed = [Bool](repeating: false, count: statements.count)
        var order: [Int] = []
        while order.count < statements.count {
            let progress = (safe.count, order.count)
            for i in statements.indices where !placed[i] && (!constrained || facts.after[i].allSatisfy { placed[$0] }) {
                let produced = outputs.of(statements[i], safe: safe)
                let closures = facts.closureVariables[i]
                if !closures.isEmpty {
                    // A closure using what its own statement binds can never run (OPA's "closure-self").
                    if closures == produced { continue }
                    // OPA then waits for the closures' variables only.
                    unsafe[i] = closures
                }
                unsafe[i].subtract(produced)
                unsafe[i].subtract(safe)
                if unsafe[i].isEmpty {
                    placed[i] = true
                    order.append(i)
                    safe.formUnion(produced)
                }
            }
            if progress == (safe.count, order.count) { break }
        }
        guard let stuck = statements.indices.first(where: { !placed[$0] }) else { return .success(order) }
        let names = unsafe[stuck].isEmpty ? facts.variables[stuck].union(facts.closureVariables[stuck]).subtracting(safe) : unsafe[stuck]
        return .failure(Unsafe(name: names.sorted().first ?? "_", location: statements[stuck].location))
    }

    /// OPA checks each closure's body in turn, with every variable of the statements ordered
    /// before it (and an `every`'s key and value) taken as bound.
    private func checkClosures(_ statements: Body, order: [Int], globals: Set<String>) throws(Unsafe) {
        var outer = globals
        for (position, i) in order.enumerated() {
            if position > 0 { outer.formUnion(SafetyVariables.of(statements[order[position - 1]]).filter { !$0.hasPrefix("$") }) }
            var closureGlobals = outer
            for closure in SafetyClosures.of(statements[i]) {
                closureGlobals.formUnion(closure.bound)
                let heads = closure.heads.map {
                    Statement(expression: .unify(.variable("$head"), $0), with: [], location: statements[i].location)
                }
                _ = try reorder(closure.body, globals: closureGlobals, tail: heads)
            }
        }
    }
}
