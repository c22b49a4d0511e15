/// The parsed form of a policy.
indirect enum Term: Sendable {
    case scalar(Value)
    case variable(String)
    /// `head.seg1[seg2]…`: the head is a variable (`input`, `data`, a local) or a call/term.
    case ref(head: Term, path: [Term])
    case array([Term])
    case object([(Term, Term)])
    case set([Term])
    case arrayComprehension(Term, Body)
    case setComprehension(Term, Body)
    case objectComprehension(Term, Term, Body)
    /// A call of a builtin or user function; the name is its dotted path (`time.now_ns`, `data.lib.f`).
    case call(name: [String], args: [Term])
    /// `x in coll` or `k, v in coll` as a boolean term.
    case membership(key: Term?, value: Term, collection: Term)
    /// Infix operators (arithmetic, set operators, comparisons) as terms.
    case binary(op: String, Term, Term)
    case unaryMinus(Term)
}

struct Located<T: Sendable>: Sendable {
    let node: T
    let location: SourceLocation
}

indirect enum Expression: Sendable {
    case term(Term)
    case not(Located<Expression>)
    /// `x := t` (local assignment)
    case assign(Term, Term)
    /// `a = b` (unification)
    case unify(Term, Term)
    /// `some x, y` declares locals.
    case someDeclaration([String])
    /// `some k, v in coll`
    case someIn(key: Term?, value: Term, collection: Term)
    case every(key: String?, value: String, collection: Term, body: Body)
}

struct WithModifier: Sendable {
    let target: Term
    let value: Term
}

struct Statement: Sendable {
    let expression: Expression
    let with: [WithModifier]
    let location: SourceLocation
}

typealias Body = [Statement]

enum RuleKind: Sendable, Hashable {
    case complete
    case partialSet
    case partialObject
    case function
    /// A general ref head with variables (`r.by_team[t] contains x`, `p[x].y := v`): the rule
    /// builds a nested object keyed by `headSegments`; multi-value rules put sets at the leaves.
    case refHead(multiValue: Bool)
}

struct Rule: Sendable {
    let name: String
    /// Further constant keys of a ref head (`r.limits.cpu := 2` → ["limits", "cpu"]).
    var headPath: [String] = []
    /// For `.refHead` rules: the key terms after the constant path.
    var headSegments: [Term] = []
    let kind: RuleKind
    let isDefault: Bool
    /// Partial set element, or partial object key.
    var key: Term?
    /// The value (true when the head gives none).
    var value: Term
    let args: [Term]
    var body: Body
    /// `else` branches, in order.
    var elses: [(value: Term, body: Body)]
    let location: SourceLocation
    /// What OPA's rule index requires before each branch runs (the body, then each `else`);
    /// set when the policy is compiled, empty before.
    var indexConstraints: [IndexConstraints] = []
    /// Each branch's head value when it is a constant (OPA's early exit compares them); set
    /// with `indexConstraints`.
    var headConstants: [Value?] = []

    /// The terms of the head's main branch: the set element or object key, the ref-head
    /// segments and the value.
    var headTerms: [Term] { (key.map { [$0] } ?? []) + headSegments + [value] }
}

struct Module: Sendable {
    let package: [String]
    /// Import paths and their names (`import data.lib.helpers as h` → h).
    let imports: [(path: [String], alias: String)]
    let rules: [Rule]
    let file: String
}
