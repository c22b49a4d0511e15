/// Derives a body's index constraints the way OPA v1.20's compiler and indexer do.
///
/// OPA indexes the compiled body, not the text. Three rewrites matter:
/// - calls nested in an expression are hoisted into statements of their own, before it, even
///   out of a negation (`not count(input.x) > 0` first computes `count(input.x)`);
/// - references used as call arguments, inside composite values and as every-domains are
///   hoisted into `__local = ref` (the ones an equality compares directly stay in place);
/// - `a == b` becomes the unification `a = b`.
/// The indexer then reads every positive statement without `with`: `ref = constant`,
/// `ref = var` (defined), a bare reference (defined), `x in coll`, `glob.match`, a variable
/// bound to a constant or known to stand for a reference. A body with a `print` is not indexed.
struct IndexConstraintCollector {
    /// Where a name that is not local leads: `["input", …]` or `["data", …]` (imports, rules).
    let globalPath: (String) -> [String]?
    /// Whether a path below `data` reaches a rule (OPA indexes base documents only).
    let isVirtual: ([Value]) -> Bool
    /// The head's parameters, for functions.
    let parameters: [Term]

    private(set) var entries: [(reference: IndexConstraints.Reference, expectation: IndexConstraints.Expectation)] = []
    /// Every insertion, for the rule set's reference order (OPA counts them all).
    private(set) var insertions: [IndexConstraints.Reference] = []
    private var constants: [String: Value] = [:]
    private var generated = 0

    /// An operand after the rewrites: what the indexer sees in its place.
    private indirect enum Operand {
        case variable(String)
        case constant(Value)
        case array([Operand])
        /// A reference left in place: indexable when ground (`reference`), or when only its
        /// last segment is a variable (`wildcardBase`, for `input.xs[_] == 1`).
        case reference(IndexConstraints.Reference?, wildcardBase: IndexConstraints.Reference?)
        case opaque
    }

    /// A statement after the call hoisting.
    private enum Compiled {
        case equality(Term, Term, negated: Bool)
        case call(name: String, args: [Term], negated: Bool)
        case term(Term, negated: Bool)
        case every(domain: Term)
    }

    init(parameters: [Term], globalPath: @escaping (String) -> [String]?, isVirtual: @escaping ([Value]) -> Bool) {
        self.parameters = parameters
        self.globalPath = globalPath
        self.isVirtual = isVirtual
    }

    /// Reads one body and its head's terms (key, value), which OPA's compiler moves into the
    /// body's end when they hold calls or references (nothing when OPA would not index the
    /// body); `constraints(order:)` then gives the constraints once the rule set's reference
    /// order is known.
    mutating func collect(_ body: Body, head: [Term]) {
        if body.contains(where: Self.isPrint) { return }
        for statement in body where statement.with.isEmpty {
            for compiled in hoistCalls(statement.expression, negated: false) { index(compiled) }
        }
        var hoisted: [Compiled] = []
        let rewritten = head.map { expandTerm($0, into: &hoisted) }
        for compiled in hoisted { index(compiled) }
        for term in rewritten where requiresEvaluation(term) {
            index(.equality(.variable(freshVariable()), term, negated: false))
        }
    }

    /// OPA's requiresEval: a head term with a reference or a comprehension in it.
    private func requiresEvaluation(_ term: Term) -> Bool {
        switch term {
        case .ref, .arrayComprehension, .setComprehension, .objectComprehension: return true
        case let .variable(name): return name == "input" || name == "data" || globalPath(name) != nil
        case let .array(items), let .set(items): return items.contains(where: requiresEvaluation)
        case let .object(pairs): return pairs.contains { requiresEvaluation($0.0) || requiresEvaluation($0.1) }
        default: return false
        }
    }

    func constraints(order: [IndexConstraints.Reference: Int]) -> IndexConstraints {
        var expectations: [IndexConstraints.Reference: [IndexConstraints.Expectation]] = [:]
        for entry in entries { expectations[entry.reference, default: []].append(entry.expectation) }
        let checks = expectations.map {
            IndexConstraints.Check(reference: $0.key, expectations: $0.value, level: order[$0.key, default: .max])
        }
        return IndexConstraints(checks: checks.sorted { $0.level < $1.level })
    }

    /// OPA's level order: references by how often the rule set's bodies used them, the most
    /// used first; ties in order of appearance.
    static func referenceOrder(_ collectors: [IndexConstraintCollector]) -> [IndexConstraints.Reference: Int] {
        var counts: [IndexConstraints.Reference: Int] = [:]
        var firstSeen: [IndexConstraints.Reference: Int] = [:]
        for reference in collectors.flatMap(\.insertions) {
            counts[reference, default: 0] += 1
            if firstSeen[reference] == nil { firstSeen[reference] = firstSeen.count }
        }
        let ranked = counts.keys.sorted { a, b in
            counts[a, default: 0] != counts[b, default: 0]
                ? counts[a, default: 0] > counts[b, default: 0] : firstSeen[a, default: 0] < firstSeen[b, default: 0]
        }
        return Dictionary(uniqueKeysWithValues: ranked.enumerated().map { ($1, $0) })
    }

    private static func isPrint(_ statement: Statement) -> Bool {
        if case let .term(.call(name, _)) = statement.expression { return name == ["print"] }
        return false
    }

    // MARK: Hoisting nested calls (OPA's RewriteExprTerms)

    private mutating func hoistCalls(_ expression: Expression, negated: Bool) -> [Compiled] {
        var hoisted: [Compiled] = []
        func expand(_ term: Term) -> Term { expandTerm(term, into: &hoisted) }
        let main: Compiled?
        switch expression {
        case let .not(inner):
            return hoistCalls(inner.node, negated: true)
        case let .assign(a, b), let .unify(a, b):
            main = .equality(expand(a), expand(b), negated: negated)
        case let .term(term):
            if let (name, args) = Self.callParts(term) {
                let expanded = args.map(expand)
                main =
                    name == "equal" && expanded.count == 2
                    ? .equality(expanded[0], expanded[1], negated: negated) : .call(name: name, args: expanded, negated: negated)
            } else {
                main = .term(expand(term), negated: negated)
            }
        case let .every(_, _, collection, _):
            main = .every(domain: expand(collection))
        case let .someIn(_, _, collection):
            _ = expand(collection)
            main = nil
        case .someDeclaration:
            main = nil
        }
        return hoisted + (main.map { [$0] } ?? [])
    }

    /// The name and operands of a term OPA parses as a call (operators and `in` included).
    private static func callParts(_ term: Term) -> (String, [Term])? {
        switch term {
        case let .call(name, args): return (name.joined(separator: "."), args)
        case let .binary(op, a, b): return (op == "==" ? "equal" : op, [a, b])
        case let .membership(key, value, collection):
            return key.map { ("internal.member_3", [$0, value, collection]) } ?? ("internal.member_2", [value, collection])
        case let .unaryMinus(a): return ("minus", [a])
        default: return nil
        }
    }

    private mutating func expandTerm(_ term: Term, into hoisted: inout [Compiled]) -> Term {
        if let (name, args) = Self.callParts(term) {
            let expanded = args.map { expandTerm($0, into: &hoisted) }
            let output = freshVariable()
            hoisted.append(.call(name: name, args: expanded + [.variable(output)], negated: false))
            return .variable(output)
        }
        switch term {
        case let .ref(head, path):
            return .ref(head: expandTerm(head, into: &hoisted), path: path.map { expandTerm($0, into: &hoisted) })
        case let .array(items): return .array(items.map { expandTerm($0, into: &hoisted) })
        case let .set(items): return .set(items.map { expandTerm($0, into: &hoisted) })
        case let .object(pairs): return .object(pairs.map { (expandTerm($0.0, into: &hoisted), expandTerm($0.1, into: &hoisted)) })
        default: return term
        }
    }

    private mutating func freshVariable() -> String {
        generated += 1
        return "$index\(generated)"
    }

    // MARK: Hoisting references (OPA's rewriteDynamics) and indexing

    private mutating func index(_ compiled: Compiled) {
        switch compiled {
        case let .equality(a, b, negated):
            let left = inPlace(a)
            let right = inPlace(b)
            if !negated { indexEquality(left, right) }
        case let .call(name, args, negated):
            let operands = args.map { hoisted($0) }
            guard !negated else { return }
            if name == "glob.match", operands.count == 3 { indexGlobMatch(operands) }
            if name == "internal.member_2", operands.count == 2 { indexMembership(operands[0], operands[1]) }
        case let .term(term, negated):
            let operand = inPlace(term)
            if !negated, case let .reference(reference?, _) = operand { insert(reference, .defined(variable: "__any__")) }
        case let .every(domain):
            _ = hoisted(domain)
        }
    }

    /// An equality operand or bare term: a reference stays, only its segments are hoisted.
    private mutating func inPlace(_ term: Term) -> Operand {
        switch term {
        case let .ref(head, path): return reference(head, path.map { hoisted($0) })
        case let .variable(name) where globalPath(name) != nil: return reference(term, [])
        case .arrayComprehension, .setComprehension, .objectComprehension: return .opaque
        default: return hoisted(term)
        }
    }

    /// A call argument, composite element or every-domain: a reference becomes a variable
    /// bound by a generated `var = ref` (which the indexer reads like any other).
    private mutating func hoisted(_ term: Term) -> Operand {
        switch term {
        case let .scalar(value):
            return .constant(value)
        case let .variable(name):
            guard globalPath(name) != nil else { return .variable(name) }
            return hoistReference(reference(term, []))
        case let .ref(head, path):
            return hoistReference(reference(head, path.map { hoisted($0) }))
        case let .array(items):
            let operands = items.map { hoisted($0) }
            let values = operands.compactMap(Self.constantValue)
            return values.count == operands.count ? .constant(.array(values)) : .array(operands)
        case let .set(items):
            let values = items.map { hoisted($0) }.compactMap(Self.constantValue)
            return values.count == items.count ? .constant(.makeSet(values)) : .opaque
        case let .object(pairs):
            let keys = pairs.map { hoisted($0.0) }.compactMap(Self.constantValue)
            let values = pairs.map { hoisted($0.1) }.compactMap(Self.constantValue)
            guard keys.count == pairs.count, values.count == pairs.count else { return .opaque }
            return .constant(.makeObject(zip(keys, values).map { (key: $0, value: $1) }))
        case .arrayComprehension, .setComprehension, .objectComprehension:
            return .variable(freshVariable())
        default:
            return .opaque
        }
    }

    private mutating func hoistReference(_ operand: Operand) -> Operand {
        let variable = freshVariable()
        indexEquality(.variable(variable), operand)
        return .variable(variable)
    }

    private static func constantValue(_ operand: Operand) -> Value? {
        if case let .constant(value) = operand { return value }
        return nil
    }

    /// A reference with its segments already rewritten; indexable only below `input` or a
    /// base document of `data`, with constant segments.
    private func reference(_ head: Term, _ segments: [Operand]) -> Operand {
        guard case let .variable(name) = head else { return .reference(nil, wildcardBase: nil) }
        let rootPath: [String]
        if name == "input" || name == "data" {
            rootPath = [name]
        } else if let path = globalPath(name) {
            rootPath = path
        } else {
            return .reference(nil, wildcardBase: nil)
        }
        let prefix = rootPath.dropFirst().map(Value.string)
        func indexable(_ keys: [Value]) -> IndexConstraints.Reference? {
            if rootPath[0] == "input" { return IndexConstraints.Reference(root: .input, path: keys) }
            return isVirtual(keys) ? nil : IndexConstraints.Reference(root: .data, path: keys)
        }
        let keys = segments.compactMap { segment -> Value? in
            guard case let .constant(value) = segment, value.isScalar else { return nil }
            return value
        }
        if keys.count == segments.count { return .reference(indexable(prefix + keys), wildcardBase: nil) }
        if keys.count == segments.count - 1, case .variable = segments.last {
            return .reference(nil, wildcardBase: indexable(prefix + keys))
        }
        return .reference(nil, wildcardBase: nil)
    }

    // MARK: The indexer's reading of one statement

    private mutating func indexEquality(_ a: Operand, _ b: Operand) {
        if indexWildcard(a, b) || indexWildcard(b, a) { return }
        if !indexOperands(a, b) { _ = indexOperands(b, a) }
    }

    /// `input.xs[_] == 1`: the collection must hold the scalar.
    private mutating func indexWildcard(_ a: Operand, _ b: Operand) -> Bool {
        guard case let .reference(_, base?) = a else { return false }
        let value: Value?
        switch b {
        case let .variable(name): value = constants[name]
        case let .constant(constant): value = constant
        default: return false
        }
        guard let value, value.isScalar else { return false }
        insert(base, .scalar(value))
        return true
    }

    private mutating func indexOperands(_ a: Operand, _ b: Operand) -> Bool {
        switch a {
        case let .variable(name):
            if case let .constant(value) = b { constants[name] = value }
            guard let expectation = Self.indexValue(b), let reference = resolve(name) else { return false }
            insert(reference, expectation)
            return true
        case let .reference(reference?, _):
            let expectation: IndexConstraints.Expectation
            if case let .variable(name) = b {
                expectation = constants[name].map(Self.expectation(forConstant:)) ?? .defined(variable: name)
            } else if let value = Self.indexValue(b) {
                expectation = value
            } else {
                return false
            }
            insert(reference, expectation)
            return true
        default:
            return false
        }
    }

    /// What OPA's indexValue accepts: a scalar, a variable, or a flat array of those.
    private static func indexValue(_ operand: Operand) -> IndexConstraints.Expectation? {
        switch operand {
        case let .variable(name): return .defined(variable: name)
        case let .constant(value):
            if value.isScalar { return .scalar(value) }
            guard case let .array(items) = value, items.allSatisfy(\.isScalar) else { return nil }
            return .array(items.map { .scalar($0) })
        case let .array(operands):
            var elements: [IndexConstraints.Element] = []
            for operand in operands {
                switch operand {
                case .variable: elements.append(.any)
                case let .constant(value) where value.isScalar: elements.append(.scalar(value))
                default: return nil
                }
            }
            return .array(elements)
        default: return nil
        }
    }

    /// A constant a variable is known to hold, as the trie files it (composites match anything).
    private static func expectation(forConstant value: Value) -> IndexConstraints.Expectation {
        switch value {
        case let .array(items): return .array(items.map { $0.isScalar ? .scalar($0) : .any })
        case .set, .object: return .defined(variable: "__any__")
        default: return .scalar(value)
        }
    }

    /// The reference a variable stands for: one bound by `var = ref` earlier, or a parameter.
    private func resolve(_ name: String) -> IndexConstraints.Reference? {
        for entry in entries {
            if case .defined(name) = entry.expectation { return entry.reference }
        }
        for (position, parameter) in parameters.enumerated() {
            if case .variable(name) = parameter { return IndexConstraints.Reference(root: .argument(position), path: []) }
        }
        return nil
    }

    /// `x in coll`: a reference in a constant collection, or a constant in a referenced one.
    private mutating func indexMembership(_ member: Operand, _ collection: Operand) {
        if case let .variable(name) = member, let reference = resolve(name) {
            var collection = collection
            if case let .variable(other) = collection, let constant = constants[other] { collection = .constant(constant) }
            switch collection {
            case let .constant(.array(items)), let .constant(.set(items)):
                for item in items { insert(reference, Self.expectation(forConstant: item)) }
            case let .constant(.object(pairs)):
                for pair in pairs { insert(reference, Self.expectation(forConstant: pair.value)) }
            case let .array(operands):
                for operand in operands {
                    switch operand {
                    case let .variable(name): insert(reference, .defined(variable: name))
                    case let .constant(value): insert(reference, Self.expectation(forConstant: value))
                    default: break
                    }
                }
            default: break
            }
            return
        }
        let expectation: IndexConstraints.Expectation
        switch member {
        case let .variable(name): expectation = constants[name].map(Self.expectation(forConstant:)) ?? .defined(variable: name)
        case let .constant(value) where value.isScalar: expectation = .scalar(value)
        default: return
        }
        let reference: IndexConstraints.Reference?
        switch collection {
        case let .reference(found, _): reference = found
        case let .variable(name): reference = resolve(name)
        default: reference = nil
        }
        // Arguments are not documents OPA's membership index reads.
        guard let reference, !Self.isArgument(reference) else { return }
        insert(reference, expectation)
    }

    private static func isArgument(_ reference: IndexConstraints.Reference) -> Bool {
        if case .argument = reference.root { return true }
        return false
    }

    /// `glob.match("a.*", ["."], x)` with a constant pattern and x standing for a reference.
    private mutating func indexGlobMatch(_ operands: [Operand]) {
        guard case let .constant(.array(delimiterValues)) = operands[1], case let .constant(.string(pattern)) = operands[0],
            case let .variable(name) = operands[2], let reference = resolve(name)
        else { return }
        var delimiters = ""
        for value in delimiterValues {
            guard case let .string(text) = value else { return }
            delimiters += text
        }
        if delimiterValues.isEmpty { delimiters = "." }
        guard let parts = GlobIndexPattern.parts(pattern, delimiters: delimiters) else { return }
        insert(reference, .glob(delimiters: delimiters, parts: parts))
    }

    /// OPA's insert: an expectation equal to one already there adds nothing; a constant takes
    /// the place of a "defined"; anything else is one more expectation.
    private mutating func insert(_ reference: IndexConstraints.Reference, _ expectation: IndexConstraints.Expectation) {
        insertions.append(reference)
        for (position, entry) in entries.enumerated() where entry.reference == reference {
            if entry.expectation == expectation { return }
            if !expectation.isDefinedOnly, entry.expectation.isDefinedOnly {
                entries[position].expectation = expectation
                return
            }
        }
        entries.append((reference, expectation))
    }
}

/// How OPA's index reads a `glob.match` pattern: split on the delimiters (a backslash escapes
/// the next character), a lone `*` matching any part; a pattern with other wildcards is not
/// indexed.
enum GlobIndexPattern {
    static func parts(_ pattern: String, delimiters: String) -> [IndexConstraints.Element]? {
        var elements: [IndexConstraints.Element] = []
        for part in split(pattern, on: delimiters) {
            if part == "*" {
                elements.append(.any)
                continue
            }
            var escaped = false
            for character in part {
                if character == "\\" {
                    escaped.toggle()
                    continue
                }
                if !escaped, "[?{*".contains(character) { return nil }
                escaped = false
            }
            elements.append(.scalar(.string(part)))
        }
        return elements
    }

    /// OPA's splitStringEscaped: byte-wise, a backslash toggles escaping of what follows.
    static func split(_ text: String, on delimiters: String) -> [String] {
        let bytes = Array(text.utf8)
        let delimiterBytes = Set(delimiters.unicodeScalars.filter(\.isASCII).map { UInt8($0.value) })
        var parts: [String] = []
        var start = 0
        var escaped = false
        for (position, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\\") || escaped {
                escaped.toggle()
                continue
            }
            if delimiterBytes.contains(byte) {
                parts.append(String(decoding: bytes[start..<position], as: UTF8.self))
                start = position + 1
            }
        }
        parts.append(String(decoding: bytes[start...], as: UTF8.self))
        return parts
    }
}
