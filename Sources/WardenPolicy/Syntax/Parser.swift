/// Parses Rego modules and queries, in v1 syntax (the default) or v0 (`--v0-compatible`).
/// v0 keeps the future keywords (`if`, `contains`, `in`, `every`) reserved, so v1 text read as
/// v0 is parsed as written, never as a rule named `if` that would permit everything.
/// Constructs the evaluator does not implement are parse errors that name them.
struct Parser {
    enum Syntax: Sendable { case v0, v1 }

    private var tokens: [Token]
    private var position = 0
    private let syntax: Syntax
    /// Whether newlines separate expressions here (bodies) or are whitespace (inside brackets).
    private var newlineSignificant: [Bool] = [true]
    /// How deep the term being parsed sits: brackets, calls, unary minus, `not`, bodies, and
    /// each operator of a chain (a chain of n operators is a tree n deep). Bounded, so neither
    /// this recursive parser nor the evaluator walking its trees can exhaust a stack.
    private var nesting = 0
    static let maximumNesting = 256
    /// Token positions where a comprehension body was tried and failed: `[a | …]` is retried as
    /// a union only once per position, which keeps nested brackets linear.
    private var failedComprehensions = Set<Int>()
    private static let keywords: Set<String> = [
        "if", "contains", "in", "every", "some", "not", "with", "as", "else", "default", "package", "import",
    ]

    init(_ text: String, file: String, syntax: Syntax) throws(PolicyError) {
        var lexer = Lexer(text, file: file, maximumNesting: Self.maximumNesting)
        tokens = try lexer.tokens()
        self.syntax = syntax
    }

    // MARK: Modules

    mutating func module() throws(PolicyError) -> Module {
        skipNewlines()
        guard identifier("package") else { throw error("a module starts with a package declaration") }
        let package = try dottedPath()
        var imports: [(path: [String], alias: String)] = []
        var rules: [Rule] = []
        skipSeparators()
        while identifier("import") {
            let path = try dottedPath(allowKeywords: true)
            var alias = path.last ?? ""
            if identifier("as") { alias = try name() }
            guard ["input", "data", "future", "rego"].contains(path.first ?? "") else {
                throw error("import of \(path.joined(separator: ".")) is not supported")
            }
            imports.append((path, alias))
            skipSeparators()
        }
        while !isAtEnd {
            rules.append(contentsOf: try rule())
            skipSeparators()
        }
        return Module(package: package, imports: imports, rules: rules, file: tokens[0].location.file)
    }

    /// A query: a body of expressions, as `opa eval` takes it.
    mutating func query() throws(PolicyError) -> Body {
        skipSeparators()
        let body = try bodyStatements(until: nil)
        guard isAtEnd else { throw error("unexpected \(describe(peek())) in query") }
        return body
    }

    // MARK: Rules

    private mutating func rule() throws(PolicyError) -> [Rule] {
        let location = peek().location
        let isDefault = identifier("default")
        let ruleName = try name()
        var headPath: [String] = []
        while case .symbol(".") = peek().kind, !peek().spaceBefore {
            advance()
            headPath.append(try name())
        }
        var args: [Term] = []
        var kind = RuleKind.complete
        var key: Term?
        if symbol("(", spaceSensitive: true) {
            kind = .function
            pushNewlines(false)
            if !symbol(")") {
                repeat { args.append(try term()) } while symbol(",")
                try expect(")")
            }
            popNewlines()
        }
        if identifier("contains") {
            kind = .partialSet
            key = try term()
        } else if kind == .complete, symbol("[", spaceSensitive: true) {
            pushNewlines(false)
            key = try term()
            try expect("]")
            popNewlines()
            kind = .partialSet
            // More keys after a variable one, or `contains` after it: a general ref head.
            var segments = [key!]
            while true {
                if case .symbol(".") = peek().kind, !peek().spaceBefore {
                    advance()
                    segments.append(.scalar(.string(try name())))
                } else if case .symbol("[") = peek().kind, !peek().spaceBefore {
                    advance()
                    pushNewlines(false)
                    segments.append(try term())
                    try expect("]")
                    popNewlines()
                } else {
                    break
                }
            }
            if identifier("contains") {
                let element = try term()
                let body = try ruleBody(ruleName: ruleName, requireIf: syntax == .v1)
                var rule = Rule(
                    name: ruleName, kind: .refHead(multiValue: true), isDefault: false, key: nil, value: element, args: [], body: body,
                    elses: [], location: location)
                rule.headPath = headPath
                rule.headSegments = segments
                return [rule]
            }
            if segments.count > 1 {
                guard symbol(":=") || symbol("=") else { throw error("a rule head with keys after a variable needs := value or contains") }
                let value = try term()
                let body = try ruleBody(ruleName: ruleName, requireIf: syntax == .v1)
                var rule = Rule(
                    name: ruleName, kind: .refHead(multiValue: false), isDefault: false, key: nil, value: value, args: [], body: body,
                    elses: [], location: location)
                rule.headPath = headPath
                rule.headSegments = segments
                return [rule]
            }
        }
        var value: Term = .scalar(.bool(true))
        var hasValue = false
        if symbol(":=") || symbol("=") {
            value = try term()
            hasValue = true
            if kind == .partialSet, key != nil, !(tokens[position - 1].kind == .symbol("contains")) {
                kind = .partialObject
            }
        }
        if kind == .partialSet, hasValue { kind = .partialObject }
        if isDefault {
            guard kind == .complete || kind == .function, hasValue else {
                throw error("a default rule needs a value: default \(ruleName) := …")
            }
            var rule = Rule(
                name: ruleName, kind: kind, isDefault: true, key: nil, value: value, args: args, body: [], elses: [], location: location)
            rule.headPath = headPath
            return [rule]
        }
        let body = try ruleBody(ruleName: ruleName, requireIf: syntax == .v1)
        var elses: [(value: Term, body: Body)] = []
        skipNewlines()
        while identifier("else") {
            guard kind == .complete || kind == .function else { throw error("else is only allowed on complete rules and functions") }
            var elseValue: Term = .scalar(.bool(true))
            if symbol(":=") || symbol("=") { elseValue = try term() }
            elses.append((elseValue, try ruleBody(ruleName: ruleName, requireIf: syntax == .v1)))
            skipNewlines()
        }
        // v0's `r { a } { b }`: one rule per body, with the same head.
        var bodies = [body]
        while case .symbol("{") = peek().kind {
            guard syntax != .v1, elses.isEmpty else {
                throw error("rules with several bodies (\(ruleName) { … } { … }) are Rego v0; write one rule per body")
            }
            bodies.append(try braceBody())
            skipNewlines()
        }
        return bodies.map { body in
            var rule = Rule(
                name: ruleName, kind: kind, isDefault: false, key: key, value: value, args: args, body: body, elses: elses,
                location: location)
            rule.headPath = headPath
            return rule
        }
    }

    /// `if { body }`, `if expr`, `{ body }` (v0 only), or nothing (a fact).
    private mutating func ruleBody(ruleName: String, requireIf: Bool) throws(PolicyError) -> Body {
        if identifier("if") {
            if case .symbol("{") = peek().kind {
                try refuseComprehensionReading()
                return try braceBody()
            }
            let location = peek().location
            return [try statement(location: location)]
        }
        if case .symbol("{") = peek().kind {
            if requireIf {
                throw error("`if` keyword is required before the body of rule \(ruleName) (Rego v1; use --v0-compatible for v0 policies)")
            }
            return try braceBody()
        }
        return []
    }

    /// OPA reads `if { a | … }` as a body made of one set comprehension, which always holds:
    /// `allow if { input.a | false }` allows. Warden refuses that text instead of reading it
    /// either way (a parenthesised union, `(a | b) = c`, is a plain statement to both).
    private mutating func refuseComprehensionReading() throws(PolicyError) {
        var probe = self
        probe.advance()
        probe.pushNewlines(true)
        probe.skipSeparators()
        guard (try? probe.intersectionLevel()) != nil, case .symbol("|") = probe.peek().kind else { return }
        throw error(
            "a rule body that starts with `term |` reads as a set comprehension in OPA (always true); put the union in parentheses")
    }

    private mutating func braceBody() throws(PolicyError) -> Body {
        try enter()
        defer { leave() }
        try expect("{")
        pushNewlines(true)
        skipSeparators()
        let body = try bodyStatements(until: "}")
        try expect("}")
        popNewlines()
        guard !body.isEmpty else { throw error("a rule body cannot be empty") }
        return body
    }

    private mutating func bodyStatements(until closing: String?) throws(PolicyError) -> Body {
        var body: Body = []
        while true {
            skipSeparators()
            if let closing, case .symbol(closing) = peek().kind { break }
            if isAtEnd { break }
            body.append(try statement(location: peek().location))
            guard separator() || closingAhead(closing) else {
                throw error("expected a newline or ; after an expression, found \(describe(peek()))")
            }
        }
        return body
    }

    private func closingAhead(_ closing: String?) -> Bool {
        if isAtEnd { return true }
        if let closing, case .symbol(closing) = peek().kind { return true }
        return false
    }

    // MARK: Statements

    private mutating func statement(location: SourceLocation) throws(PolicyError) -> Statement {
        let expression = try self.expression()
        var modifiers: [WithModifier] = []
        while identifier("with") {
            let target = try term()
            guard identifier("as") else { throw error("expected `as` in with modifier") }
            modifiers.append(WithModifier(target: target, value: try term()))
        }
        return Statement(expression: expression, with: modifiers, location: location)
    }

    private mutating func expression() throws(PolicyError) -> Expression {
        let location = peek().location
        if identifier("not") {
            try enter()
            defer { leave() }
            return .not(Located(node: try expression(), location: location))
        }
        if identifier("some") {
            let first = try relationLevel()
            if symbol(",") {
                let second = try relationLevel()
                if identifier("in") {
                    return .someIn(key: first, value: second, collection: try term())
                }
                var names = [try variableName(first), try variableName(second)]
                while symbol(",") { names.append(try variableName(try relationLevel())) }
                return .someDeclaration(names)
            }
            if identifier("in") { return .someIn(key: nil, value: first, collection: try term()) }
            return .someDeclaration([try variableName(first)])
        }
        if identifier("every") {
            var keyName: String?
            var valueName = try name()
            if symbol(",") {
                keyName = valueName
                valueName = try name()
            }
            guard identifier("in") else { throw error("expected `in` after every's variables") }
            let collection = try term()
            return .every(key: keyName, value: valueName, collection: collection, body: try braceBody())
        }
        let left = try term()
        if symbol(":=") { return .assign(left, try term()) }
        if symbol("=") { return .unify(left, try term()) }
        return .term(left)
    }

    private func variableName(_ term: Term) throws(PolicyError) -> String {
        guard case let .variable(name) = term else { throw error("some declares variables; found another term") }
        return name
    }

    // MARK: Terms (precedence, as OPA's parser: in < comparison < | < & < + - < * / %)

    mutating func term() throws(PolicyError) -> Term {
        let left = try relationLevel()
        if identifier("in") {
            return .membership(key: nil, value: left, collection: try relationLevel())
        }
        return left
    }

    private mutating func relationLevel() throws(PolicyError) -> Term {
        try relationChain(from: try unionLevel())
    }

    /// `left == …`: the rest of a comparison chain whose first operand is parsed.
    private mutating func relationChain(from first: Term) throws(PolicyError) -> Term {
        try operatorChain(from: first, ["==", "!=", "<=", ">=", "<", ">"]) { parser throws(PolicyError) in try parser.unionLevel() }
    }

    private mutating func unionLevel() throws(PolicyError) -> Term {
        try unionChain(from: try intersectionLevel())
    }

    /// `left | …`: the rest of a union whose first operand is parsed.
    private mutating func unionChain(from first: Term) throws(PolicyError) -> Term {
        try operatorChain(from: first, ["|"]) { parser throws(PolicyError) in try parser.intersectionLevel() }
    }

    private mutating func intersectionLevel() throws(PolicyError) -> Term {
        try operatorChain(from: try additiveLevel(), ["&"]) { parser throws(PolicyError) in try parser.additiveLevel() }
    }

    private mutating func additiveLevel() throws(PolicyError) -> Term {
        try operatorChain(from: try multiplicativeLevel(), ["+", "-"]) { parser throws(PolicyError) in try parser.multiplicativeLevel() }
    }

    private mutating func multiplicativeLevel() throws(PolicyError) -> Term {
        try operatorChain(from: try unary(), ["*", "/", "%"]) { parser throws(PolicyError) in try parser.unary() }
    }

    /// One precedence level: a left-associative chain of `operators` after `first`, each
    /// right operand parsed by the next level. Every operator deepens the tree, so it counts
    /// against the nesting bound until the chain ends.
    private mutating func operatorChain(
        from first: Term, _ operators: [String], operand: (inout Parser) throws(PolicyError) -> Term
    ) throws(PolicyError) -> Term {
        var left = first
        var chain = 0
        defer { leave(chain) }
        while let op = operators.first(where: { peekSymbol($0) }) {
            advance()
            try enter()
            chain += 1
            left = .binary(op: op, left, try operand(&self))
        }
        return left
    }

    private mutating func unary() throws(PolicyError) -> Term {
        if symbol("-") {
            try enter()
            defer { leave() }
            let operand = try unary()
            if case let .scalar(.number(n)) = operand { return .scalar(.number(n.negatedLiteral)) }
            return .unaryMinus(operand)
        }
        return try postfix(try primary())
    }

    /// `.name`, `[term]` and calls after a primary term.
    private mutating func postfix(_ base: Term) throws(PolicyError) -> Term {
        var path: [Term] = []
        var head = base
        while true {
            if case .symbol(".") = peek().kind, !peek().spaceBefore {
                advance()
                path.append(.scalar(.string(try name())))
            } else if case .symbol("[") = peek().kind, !peek().spaceBefore {
                advance()
                try enter()
                defer { leave() }
                pushNewlines(false)
                path.append(try term())
                try expect("]")
                popNewlines()
            } else if case .symbol("(") = peek().kind, !peek().spaceBefore {
                guard let callName = Self.callName(head: head, path: path) else { throw error("only named functions can be called") }
                advance()
                try enter()
                defer { leave() }
                pushNewlines(false)
                var args: [Term] = []
                if !symbol(")") {
                    repeat { args.append(try term()) } while symbol(",")
                    try expect(")")
                }
                popNewlines()
                head = .call(name: callName, args: args)
                path = []
            } else {
                break
            }
        }
        return path.isEmpty ? head : .ref(head: head, path: path)
    }

    private static func callName(head: Term, path: [Term]) -> [String]? {
        guard case let .variable(first) = head else { return nil }
        var names = [first]
        for segment in path {
            guard case let .scalar(.string(part)) = segment else { return nil }
            names.append(part)
        }
        return names
    }

    private mutating func primary() throws(PolicyError) -> Term {
        let token = peek()
        switch token.kind {
        case let .number(text):
            advance()
            // Exact, and printed as written (OPA prints 1.10 and 1E3 as they are); beyond OPA's
            // range (a binary exponent past ±100,000) a parse error, never inf or 0.
            let parsed: Number?
            do { parsed = try Number(text: text) } catch { throw self.error("number \(error.text) is out of range") }
            guard let number = parsed else { throw error("bad number \(text)") }
            return .scalar(.number(number))
        case let .string(text):
            advance()
            return .scalar(.string(text))
        case let .identifier(word):
            switch word {
            case "true": advance(); return .scalar(.bool(true))
            case "false": advance(); return .scalar(.bool(false))
            case "null": advance(); return .scalar(.null)
            case "set":
                if case .symbol("(") = tokens[position + 1].kind {
                    advance()
                    advance()
                    try expect(")")
                    return .set([])
                }
            default: break
            }
            // `contains` is also a builtin: `contains(s, "x")` is a call, not the keyword.
            let isCall = word == "contains" && tokens[position + 1].kind == .symbol("(") && !tokens[position + 1].spaceBefore
            guard !Self.keywords.contains(word) || isCall else { throw error("unexpected keyword \(word)") }
            advance()
            return .variable(word)
        case .symbol("("):
            advance()
            try enter()
            defer { leave() }
            pushNewlines(false)
            let inner = try term()
            try expect(")")
            popNewlines()
            return inner
        case .symbol("["):
            advance()
            try enter()
            defer { leave() }
            pushNewlines(false)
            if symbol("]") {
                popNewlines()
                return .array([])
            }
            // As OPA's grammar does: a comprehension when a plain term is followed by `|` and a
            // body; otherwise (an infix head, or no body) an array whose items may use `|`. The
            // first item is parsed once: on no body, its union goes on from where it stopped.
            let first = try intersectionLevelOrMembership()
            if peekSymbol("|") {
                let bar = (position, newlineSignificant)
                if Self.isPlain(first), !failedComprehensions.contains(position) {
                    advance()
                    if let body = try? comprehensionBody(closing: "]") {
                        popNewlines()
                        return .arrayComprehension(first, body)
                    }
                    failedComprehensions.insert(bar.0)
                    (position, newlineSignificant) = bar
                }
            }
            var items = [try continueAsTerm(first)]
            while symbol(",") {
                if case .symbol("]") = peek().kind { break }
                items.append(try term())
            }
            try expect("]")
            popNewlines()
            return .array(items)
        case .symbol("{"):
            advance()
            try enter()
            defer { leave() }
            pushNewlines(false)
            if symbol("}") {
                popNewlines()
                return .object([])
            }
            var first = try intersectionLevelOrMembership()
            if !peekSymbol(":"), !peekSymbol("|") { first = try continueAsTerm(first) }
            if symbol(":") {
                let value = try intersectionLevelOrMembership()
                if symbol("|") {
                    let body = try comprehensionBody(closing: "}")
                    popNewlines()
                    return .objectComprehension(first, value, body)
                }
                var pairs = [(first, try continueAsTerm(value))]
                while symbol(",") {
                    if case .symbol("}") = peek().kind { break }
                    let key = try term()
                    try expect(":")
                    pairs.append((key, try term()))
                }
                try expect("}")
                popNewlines()
                return .object(pairs)
            }
            if symbol("|") {
                let body = try comprehensionBody(closing: "}")
                popNewlines()
                return .setComprehension(first, body)
            }
            var items = [first]
            while symbol(",") {
                if case .symbol("}") = peek().kind { break }
                items.append(try term())
            }
            try expect("}")
            popNewlines()
            return .set(items)
        default:
            throw error("unexpected \(describe(token))")
        }
    }

    /// A term with no infix operator at its top: the only kind a comprehension head may be.
    static func isPlain(_ term: Term) -> Bool {
        switch term {
        case .binary, .unaryMinus, .membership: false
        default: true
        }
    }

    /// The first item of `[…`, parsed above `|`, finished as `term()` would have parsed it:
    /// `a | b …` is a union, and `x in y | z` a membership in the union.
    private mutating func continueAsTerm(_ first: Term) throws(PolicyError) -> Term {
        if case let .membership(key, value, collection) = first {
            return .membership(key: key, value: value, collection: try relationChain(from: try unionChain(from: collection)))
        }
        let relation = try relationChain(from: try unionChain(from: first))
        if identifier("in") { return .membership(key: nil, value: relation, collection: try relationLevel()) }
        return relation
    }

    /// Inside `[` and `{`, `|` starts a comprehension body, so the first term stops above `|`.
    private mutating func intersectionLevelOrMembership() throws(PolicyError) -> Term {
        let left = try intersectionLevel()
        if identifier("in") { return .membership(key: nil, value: left, collection: try intersectionLevel()) }
        return left
    }

    private mutating func comprehensionBody(closing: String) throws(PolicyError) -> Body {
        pushNewlines(true)
        let body = try bodyStatements(until: closing)
        try expect(closing)
        popNewlines()
        guard !body.isEmpty else { throw error("a comprehension body cannot be empty") }
        return body
    }

    // MARK: Token helpers

    private var isAtEnd: Bool { peek().kind == .end }

    private func peek() -> Token {
        var i = position
        if !(newlineSignificant.last ?? true) {
            while tokens[i].kind == .newline { i += 1 }
        }
        return tokens[i]
    }

    private mutating func advance() {
        if !(newlineSignificant.last ?? true) {
            while tokens[position].kind == .newline { position += 1 }
        }
        if tokens[position].kind != .end { position += 1 }
    }

    private mutating func pushNewlines(_ significant: Bool) { newlineSignificant.append(significant) }
    private mutating func popNewlines() { newlineSignificant.removeLast() }

    private mutating func skipNewlines() {
        while tokens[position].kind == .newline { position += 1 }
    }

    private mutating func skipSeparators() {
        while tokens[position].kind == .newline || tokens[position].kind == .symbol(";") { position += 1 }
    }

    private mutating func separator() -> Bool {
        guard tokens[position].kind == .newline || tokens[position].kind == .symbol(";") else { return false }
        skipSeparators()
        return true
    }

    private func peekSymbol(_ text: String) -> Bool { peek().kind == .symbol(text) }

    private mutating func symbol(_ text: String, spaceSensitive: Bool = false) -> Bool {
        guard peekSymbol(text), !(spaceSensitive && peek().spaceBefore) else { return false }
        advance()
        return true
    }

    private mutating func identifier(_ word: String) -> Bool {
        guard peek().kind == .identifier(word) else { return false }
        advance()
        return true
    }

    private mutating func name() throws(PolicyError) -> String {
        guard case let .identifier(word) = peek().kind, !Self.keywords.contains(word) else {
            throw error("expected a name, found \(describe(peek()))")
        }
        advance()
        return word
    }

    private mutating func dottedPath(allowKeywords: Bool = false) throws(PolicyError) -> [String] {
        var path = [try name()]
        while true {
            if symbol(".") {
                if allowKeywords, case let .identifier(word) = peek().kind {
                    advance()
                    path.append(word)
                    continue
                }
                path.append(try name())
            } else if symbol("[") {
                guard case let .string(part) = peek().kind else { throw error("expected a string in a package path") }
                advance()
                try expect("]")
                path.append(part)
            } else {
                return path
            }
        }
    }

    private mutating func expect(_ text: String) throws(PolicyError) {
        guard symbol(text) else { throw error("expected \(text), found \(describe(peek()))") }
    }

    private func describe(_ token: Token) -> String {
        switch token.kind {
        case let .identifier(word): "\"\(word)\""
        case let .string(text): "string \"\(text)\""
        case let .number(text): text
        case let .symbol(text): "\"\(text)\""
        case .newline: "end of line"
        case .end: "end of file"
        }
    }

    private mutating func enter() throws(PolicyError) {
        guard nesting < Self.maximumNesting else {
            throw error("the expression nests deeper than \(Self.maximumNesting) levels (brackets, calls and chained operators)")
        }
        nesting += 1
    }

    private mutating func leave(_ levels: Int = 1) { nesting -= levels }

    private func error(_ message: String) -> PolicyError {
        PolicyError(.parse, message, at: peek().location)
    }
}
