/// A regular expression in Go's syntax with Go's leftmost-first semantics, matched by a Pike
/// VM: every thread of the compiled program advances in lockstep over the text, so a match
/// costs at most (text length × program size) steps whatever the pattern — `(a+)+$` against
/// thirty `a`s and a `b` is as cheap as any other (ICU's backtracking took 22 s on it).
struct LinearRegex: Sendable {
    enum Instruction: Sendable {
        case scalars([Unicode.Scalar])
        case set(ScalarSet)
        case any(matchesNewline: Bool)
        /// Both paths, the first preferred.
        case split(Int, Int)
        case jump(Int)
        case assert(RegexAssertion)
        /// Records the position in capture slot n (2g: group g's start, 2g + 1: its end).
        case save(Int)
        case match
    }

    /// Counted repetitions multiply the program; past this, the pattern is refused.
    static let maximumInstructions = 20_000

    struct LimitExceeded: Error {}

    let program: [Instruction]
    /// Each group's name (0: the whole match), for `$name` in replacement templates.
    let captureNames: [String?]

    init(_ pattern: String) throws(RegexSyntaxError) {
        var parser = RegexParser(pattern)
        let tree = try parser.parse()
        var compiler = Compiler()
        try compiler.emit(.capture(0, tree))
        compiler.append(.match)
        program = compiler.program
        captureNames = parser.captureNames
    }

    /// One match: the range of the whole match and of each group (nil: did not take part).
    struct Match {
        let groups: [Range<Int>?]
        var range: Range<Int> { groups[0]! }
    }

    // MARK: Matching

    /// Whether the pattern matches anywhere in `text`.
    func matches(_ text: [Unicode.Scalar], deadline: ContinuousClock.Instant? = nil) throws(LimitExceeded) -> Bool {
        try firstMatch(in: text, from: 0, stopAtAny: true, deadline: deadline) != nil
    }

    /// The leftmost-first match in `text`, with its groups.
    func firstMatch(in text: [Unicode.Scalar], deadline: ContinuousClock.Instant? = nil) throws(LimitExceeded) -> Match? {
        try firstMatch(in: text, from: 0, stopAtAny: false, deadline: deadline)
    }

    /// Go's FindAll: successive non-overlapping leftmost-first matches (at most `limit` when
    /// it is not negative); an empty match right after the previous match is skipped.
    func allMatches(in text: [Unicode.Scalar], limit: Int = -1, deadline: ContinuousClock.Instant? = nil) throws(LimitExceeded)
        -> [Match]
    {
        var found: [Match] = []
        var position = 0
        var previousEnd = -1
        while limit < 0 || found.count < limit, position <= text.count,
            let match = try firstMatch(in: text, from: position, stopAtAny: false, deadline: deadline)
        {
            var accept = true
            let range = match.range
            if range.upperBound == position {  // an empty match at `position`
                if range.lowerBound == previousEnd { accept = false }
                position += 1
            } else {
                position = range.upperBound
            }
            previousEnd = range.upperBound
            if accept { found.append(match) }
        }
        return found
    }

    private struct Thread {
        let pc: Int
        /// Capture slots (-1: not set); copied on write, shared until a `save` changes them.
        let slots: [Int]
    }

    /// The leftmost-first match starting at or after `start`.
    func firstMatch(in text: [Unicode.Scalar], from start: Int, stopAtAny: Bool, deadline: ContinuousClock.Instant?)
        throws(LimitExceeded) -> Match?
    {
        var current = ThreadList(size: program.count)
        var next = ThreadList(size: program.count)
        var matched: [Int]?
        var position = start
        let empty = Array(repeating: -1, count: 2 * captureNames.count)
        while true {
            if matched == nil { add(&current, pc: 0, slots: empty, at: position, in: text) }
            // No thread left: done once a match is held; else the next position starts afresh.
            if current.threads.isEmpty, matched != nil { break }
            for thread in current.threads {
                switch program[thread.pc] {
                case .match:
                    matched = thread.slots
                    if stopAtAny { return Self.match(thread.slots) }
                case let .scalars(accepted):
                    if position < text.count, accepted.contains(text[position]) {
                        add(&next, pc: thread.pc + 1, slots: thread.slots, at: position + 1, in: text)
                    }
                    continue
                case let .set(set):
                    if position < text.count, set.contains(text[position]) {
                        add(&next, pc: thread.pc + 1, slots: thread.slots, at: position + 1, in: text)
                    }
                    continue
                case let .any(matchesNewline):
                    if position < text.count, matchesNewline || text[position] != "\n" {
                        add(&next, pc: thread.pc + 1, slots: thread.slots, at: position + 1, in: text)
                    }
                    continue
                case .split, .jump, .assert, .save:
                    continue  // followed when the thread was added
                }
                break  // a match: lower-priority threads of this step are cut
            }
            guard position < text.count else { break }
            position += 1
            if position & 1023 == 0, let deadline, ContinuousClock.now > deadline { throw LimitExceeded() }
            swap(&current, &next)
            next.clear()
        }
        return matched.map(Self.match)
    }

    private static func match(_ slots: [Int]) -> Match {
        Match(
            groups: stride(from: 0, to: slots.count, by: 2).map { slots[$0] >= 0 && slots[$0 + 1] >= 0 ? slots[$0]..<slots[$0 + 1] : nil })
    }

    /// Adds a thread at `pc` and everything reachable from it without reading a scalar, in
    /// priority order; each pc at most once per step (which also ends empty loops).
    private func add(_ list: inout ThreadList, pc: Int, slots: [Int], at position: Int, in text: [Unicode.Scalar]) {
        var stack = [(pc, slots)]
        while let (pc, slots) = stack.popLast() {
            guard list.insert(pc) else { continue }
            switch program[pc] {
            case let .jump(target): stack.append((target, slots))
            case let .split(preferred, other):
                stack.append((other, slots))
                stack.append((preferred, slots))
            case let .assert(assertion):
                if Self.holds(assertion, at: position, in: text) { stack.append((pc + 1, slots)) }
            case let .save(slot):
                var saved = slots
                saved[slot] = position
                stack.append((pc + 1, saved))
            default:
                list.threads.append(Thread(pc: pc, slots: slots))
            }
        }
    }

    static func holds(_ assertion: RegexAssertion, at position: Int, in text: [Unicode.Scalar]) -> Bool {
        switch assertion {
        case .textStart: return position == 0
        case .textEnd: return position == text.count
        case .lineStart: return position == 0 || text[position - 1] == "\n"
        case .lineEnd: return position == text.count || text[position] == "\n"
        case .wordBoundary, .notWordBoundary:
            let before = position > 0 && ScalarSet.Category.word.contains(text[position - 1])
            let after = position < text.count && ScalarSet.Category.word.contains(text[position])
            return (before != after) == (assertion == .wordBoundary)
        }
    }

    /// The threads of one step, in priority order, with a sparse set of their pcs.
    private struct ThreadList {
        var threads: [Thread] = []
        private var dense: [Int] = []
        private var sparse: [Int]

        init(size: Int) { sparse = Array(repeating: 0, count: size) }

        mutating func insert(_ pc: Int) -> Bool {
            let index = sparse[pc]
            if index < dense.count, dense[index] == pc { return false }
            sparse[pc] = dense.count
            dense.append(pc)
            return true
        }

        mutating func clear() {
            threads.removeAll(keepingCapacity: true)
            dense.removeAll(keepingCapacity: true)
        }
    }

    // MARK: Compiling

    private struct Compiler {
        var program: [Instruction] = []

        static func canMatchEmpty(_ node: RegexNode) -> Bool {
            switch node {
            case .empty, .assertion: true
            case .literal, .anyScalar, .set: false
            case let .concat(items): items.allSatisfy(canMatchEmpty)
            case let .alternate(branches): branches.contains(where: canMatchEmpty)
            case let .repetition(body, min, _, _): min == 0 || canMatchEmpty(body)
            case let .capture(_, body): canMatchEmpty(body)
            }
        }

        mutating func append(_ instruction: Instruction) { program.append(instruction) }

        mutating func emit(_ node: RegexNode) throws(RegexSyntaxError) {
            guard program.count <= LinearRegex.maximumInstructions else {
                throw RegexSyntaxError(description: "error parsing regexp: expression too large")
            }
            switch node {
            case .empty: break
            case let .literal(scalar, foldCase):
                append(.scalars(foldCase ? [scalar] + ScalarSet.caseVariants(of: scalar) : [scalar]))
            case let .anyScalar(matchesNewline): append(.any(matchesNewline: matchesNewline))
            case let .set(set): append(.set(set))
            case let .assertion(assertion): append(.assert(assertion))
            case let .capture(group, body):
                append(.save(2 * group))
                try emit(body)
                append(.save(2 * group + 1))
            case let .concat(items): for item in items { try emit(item) }
            case let .alternate(branches):
                var exits: [Int] = []
                for (index, branch) in branches.enumerated() {
                    if index < branches.count - 1 {
                        let split = program.count
                        append(.split(split + 1, -1))
                        try emit(branch)
                        exits.append(program.count)
                        append(.jump(-1))
                        program[split] = .split(split + 1, program.count)
                    } else {
                        try emit(branch)
                    }
                }
                for exit in exits { program[exit] = .jump(program.count) }
            case let .repetition(body, min, nil, greedy) where min > 0:
                // As Go simplifies it: x{n,} is n − 1 copies of x, then x+ (one copy that loops).
                for _ in 0..<(min - 1) { try emit(body) }
                let start = program.count
                try emit(body)
                let again = program.count
                append(.split(-1, -1))
                program[again] = greedy ? .split(start, program.count) : .split(program.count, start)
            case let .repetition(body, min, max, greedy):
                for _ in 0..<min { try emit(body) }
                if let max {
                    // x{0,k}: each further copy is optional, and skipping one skips the rest.
                    var skips: [Int] = []
                    for _ in min..<max {
                        skips.append(program.count)
                        append(.split(-1, -1))
                        try emit(body)
                    }
                    for skip in skips { program[skip] = greedy ? .split(skip + 1, program.count) : .split(program.count, skip + 1) }
                } else if Self.canMatchEmpty(body) {
                    // As Go compiles it (golang.org/issue/46123): x* is (x+)? when x can match
                    // the empty string, so an empty iteration cannot win over a longer one.
                    let skip = program.count
                    append(.split(-1, -1))
                    let start = program.count
                    try emit(body)
                    let again = program.count
                    append(.split(-1, -1))
                    program[again] = greedy ? .split(start, program.count) : .split(program.count, start)
                    program[skip] = greedy ? .split(start, program.count) : .split(program.count, start)
                } else {
                    let loop = program.count
                    append(.split(-1, -1))
                    try emit(body)
                    append(.jump(loop))
                    program[loop] = greedy ? .split(loop + 1, program.count) : .split(program.count, loop + 1)
                }
            }
        }
    }
}
