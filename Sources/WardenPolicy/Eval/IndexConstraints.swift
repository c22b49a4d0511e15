/// What OPA's rule index requires of the documents before it lets a body run.
///
/// OPA never evaluates a rule body (or an `else` branch, or a function definition) that its
/// index rules out: the index files each body under the ground `input`/`data` references and
/// function arguments its compiled form compares with a constant or needs to be defined. In
/// a body that would fail anyway this changes nothing, except that an error raised earlier in
/// that body (a strict builtin error, a conflict) never happens, so OPA answers where a plain
/// top-down evaluation fails. Warden reproduces the index as a filter to give the same answer.
/// `IndexConstraints+Compile.swift` derives the constraints from a body as OPA's compiler
/// rewrites it.
struct IndexConstraints: Sendable {
    /// A document the index reads: a ground path below `input` or `data` (the base
    /// document, never a rule), or an argument of the function being called.
    struct Reference: Hashable, Sendable {
        enum Root: Hashable, Sendable {
            case input
            case data
            case argument(Int)
        }
        let root: Root
        let path: [Value]
    }

    /// One element of an array the index matches position by position.
    enum Element: Hashable, Sendable {
        case any
        case scalar(Value)
    }

    /// What one expression of the body asks of a reference.
    enum Expectation: Hashable, Sendable {
        /// Defined, whatever the value (`x := input.a`, a bare `input.a`, `f(input.a)`).
        case defined(variable: String)
        /// Equal to a scalar, or a collection with that scalar as a member.
        case scalar(Value)
        /// An array of this length whose scalar positions are equal.
        case array([Element])
        /// `glob.match` with a constant pattern: a string split on the delimiters, or an
        /// array, matching the pattern's parts (`*` is any part).
        case glob(delimiters: String, parts: [Element])

        var isDefinedOnly: Bool {
            if case .defined = self { return true }
            return false
        }
    }

    struct Check: Sendable {
        let reference: Reference
        /// In the order the body set them.
        let expectations: [Expectation]
        /// The reference's place in the rule set's order: its level in OPA's index trie.
        let level: Int
    }

    /// In the rule set's reference order (the most used first), which is the order of the
    /// levels of OPA's index: past a reference the body expects several constants of, OPA's
    /// index looks no further.
    let checks: [Check]

    static let none = IndexConstraints(checks: [])

    /// Whether OPA's index would let the body run for these documents.
    func admits(_ documents: IndexDocuments) -> Bool {
        for check in checks {
            let wanted = check.expectations
            guard let value = documents.resolve(check.reference) else { return false }
            if wanted.count == 1 {
                guard Self.matches(wanted[0], value) else { return false }
            } else if !wanted.contains(where: \.isDefinedOnly) {
                return wanted.contains { Self.matches($0, value) }
            }
        }
        return true
    }

    static func matches(_ expectation: Expectation, _ value: Value) -> Bool {
        switch expectation {
        case .defined:
            return true
        case let .scalar(wanted):
            switch value {
            case let .array(items), let .set(items): return items.contains(wanted)
            case let .object(pairs): return pairs.contains { $0.value == wanted }
            default: return value == wanted
            }
        case let .array(elements):
            return matches(elements, value)
        case let .glob(delimiters, parts):
            if case let .string(text) = value {
                return matches(parts, .array(GlobIndexPattern.split(text, on: delimiters).map(Value.string)))
            }
            return matches(parts, value)
        }
    }

    static func matches(_ elements: [Element], _ value: Value) -> Bool {
        guard case let .array(items) = value, items.count == elements.count else { return false }
        return zip(elements, items).allSatisfy { element, item in
            guard case let .scalar(wanted) = element else { return true }
            return item.isScalar && item == wanted
        }
    }
}

/// The documents an index lookup reads: the evaluation's input and base data, and the
/// arguments of the function call being made.
struct IndexDocuments {
    let input: Value?
    let data: Value
    let arguments: [Value]

    func resolve(_ reference: IndexConstraints.Reference) -> Value? {
        var value: Value?
        switch reference.root {
        case .input: value = input
        case .data: value = data
        case let .argument(position): value = position < arguments.count ? arguments[position] : nil
        }
        for key in reference.path {
            guard let container = value else { return nil }
            value = container[key]
        }
        return value
    }
}

extension Value {
    var isScalar: Bool {
        switch self {
        case .null, .bool, .number, .string: true
        case .array, .set, .object: false
        }
    }
}
