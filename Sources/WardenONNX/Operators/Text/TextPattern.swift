/// A regular expression as ONNX Runtime's Tokenizer uses it: RE2 syntax (the common subset,
/// see `TextPatternParser`), searched leftmost-longest (ORT sets RE2's `longest_match`).
///
/// The pattern is compiled to a Thompson NFA and run as a Pike VM, so matching is linear in
/// the text whatever the pattern: a model's pattern cannot make a request backtrack for
/// exponential time, as it could in a backtracking engine.
struct TextPattern: Sendable {
    private enum Instruction: Sendable {
        case consume(ScalarSet)
        case split(Int, Int)
        case jump(Int)
        case assert(PatternAssertion)
        case match
    }

    private let program: [Instruction]
    /// The sets a match's first scalar must be in, when every match consumes one (no empty
    /// match, no leading assertion): positions where none fits are skipped without threads.
    private let firstScalars: [ScalarSet]?
    /// Patterns that are one class, once or repeated (`[.]`, `[a-zA-Z0-9_]+`, the forms
    /// exporters write), matched by a direct scan instead of the VM: same answers, no threads.
    private enum Shape: Sendable { case general, one(ScalarSet), run(ScalarSet) }
    private let shape: Shape
    /// Bounds the compiled size: `{1000}` of a large group could otherwise take megabytes.
    static let maxInstructions = 20_000

    init(_ pattern: String) throws {
        var parser = TextPatternParser(pattern)
        let tree = try parser.parse()
        var program: [Instruction] = []
        try Self.emit(tree, into: &program)
        program.append(.match)
        self.program = program
        self.firstScalars = Self.firstScalars(of: program)
        switch tree {
        case let .scalars(set): shape = .one(set)
        case let .repetition(.scalars(set), 1, nil, _): shape = .run(set)
        default: shape = .general
        }
    }

    private static func firstScalars(of program: [Instruction]) -> [ScalarSet]? {
        var sets: [ScalarSet] = []
        var seen = Set<Int>()
        var stack = [0]
        while let pc = stack.popLast() {
            guard seen.insert(pc).inserted else { continue }
            switch program[pc] {
            case let .consume(set): sets.append(set)
            case let .jump(target): stack.append(target)
            case let .split(first, second): stack += [first, second]
            case .assert, .match: return nil
            }
        }
        return sets
    }

    private static func emit(_ node: PatternNode, into program: inout [Instruction]) throws {
        guard program.count < maxInstructions else {
            throw TextPatternError(description: "pattern compiles to more than \(maxInstructions) instructions")
        }
        switch node {
        case .empty: break
        case let .scalars(set): program.append(.consume(set))
        case let .assertion(kind): program.append(.assert(kind))
        case let .sequence(items): for item in items { try emit(item, into: &program) }
        case let .alternatives(branches):
            var jumps: [Int] = []
            for (index, branch) in branches.enumerated() {
                if index < branches.count - 1 {
                    let split = program.count
                    program.append(.match)  // placeholder
                    try emit(branch, into: &program)
                    jumps.append(program.count)
                    program.append(.match)  // placeholder
                    program[split] = .split(split + 1, program.count)
                } else {
                    try emit(branch, into: &program)
                }
            }
            for jump in jumps { program[jump] = .jump(program.count) }
        case let .repetition(inner, min, max, _):
            for _ in 0..<min { try emit(inner, into: &program) }
            if let max {
                // Each optional copy may be skipped, straight to the end.
                var splits: [Int] = []
                for _ in min..<max {
                    splits.append(program.count)
                    program.append(.match)  // placeholder
                    try emit(inner, into: &program)
                }
                for split in splits { program[split] = .split(split + 1, program.count) }
            } else {
                let loop = program.count
                program.append(.match)  // placeholder
                try emit(inner, into: &program)
                program.append(.jump(loop))
                program[loop] = .split(loop + 1, program.count)
            }
        }
    }

    /// The leftmost-longest match starting at or after `start`, or nil.
    func firstMatch(in text: [Unicode.Scalar], from start: Int) -> Range<Int>? {
        switch shape {
        case .general: break
        case let .one(set):
            return (start..<max(start, text.count)).first { set.contains(text[$0]) }.map { $0..<($0 + 1) }
        case let .run(set):
            guard let first = (start..<max(start, text.count)).first(where: { set.contains(text[$0]) }) else { return nil }
            var end = first + 1
            while end < text.count, set.contains(text[end]) { end += 1 }
            return first..<end
        }
        var current = ThreadList(capacity: program.count)
        var next = ThreadList(capacity: program.count)
        var best: Range<Int>?
        var position = start
        var stack: [Int] = []
        while position <= text.count {
            if best == nil, current.isEmpty, let firstScalars {
                while position < text.count, !firstScalars.contains(where: { $0.contains(text[position]) }) { position += 1 }
                if position == text.count { break }
            }
            // A new thread starts at each position until a match is found; threads keep the
            // start they came from, and the earliest start claims a state first.
            if best == nil { addThread(program: 0, origin: position, at: position, in: text, to: &current, stack: &stack) }
            if current.isEmpty {
                // Nothing alive: done once a match is known, else try the next start.
                if best != nil { break }
                current.clear()
                position += 1
                continue
            }
            next.clear()
            for (pc, origin) in current.threads {
                switch program[pc] {
                case .match:
                    if let found = best, origin > found.lowerBound || (origin == found.lowerBound && position <= found.upperBound) {
                        continue
                    }
                    best = origin..<position
                case let .consume(set):
                    if position < text.count, set.contains(text[position]) {
                        addThread(program: pc + 1, origin: origin, at: position + 1, in: text, to: &next, stack: &stack)
                    }
                default: break  // control instructions are followed when a thread is added
                }
            }
            if let found = best { next.removeThreads { $0 > found.lowerBound } }
            swap(&current, &next)
            position += 1
        }
        return best
    }

    /// Follows jumps, splits and assertions from `pc`, adding the consuming and matching
    /// states reached (each state once per step).
    private func addThread(
        program pc: Int, origin: Int, at position: Int, in text: [Unicode.Scalar], to list: inout ThreadList, stack: inout [Int]
    ) {
        stack.removeAll(keepingCapacity: true)
        stack.append(pc)
        while let pc = stack.popLast() {
            guard list.mark(pc) else { continue }
            switch program[pc] {
            case let .jump(target): stack.append(target)
            case let .split(first, second):
                stack.append(second)
                stack.append(first)
            case let .assert(kind):
                if Self.holds(kind, at: position, in: text) { stack.append(pc + 1) }
            case .consume, .match: list.append(pc, origin: origin)
            }
        }
    }

    private static func holds(_ assertion: PatternAssertion, at position: Int, in text: [Unicode.Scalar]) -> Bool {
        switch assertion {
        case .textStart: return position == 0
        case .textEnd: return position == text.count
        case .wordBoundary, .notWordBoundary:
            let before = position > 0 && ScalarSet.wordCharacters.contains(text[position - 1])
            let after = position < text.count && ScalarSet.wordCharacters.contains(text[position])
            return (before != after) == (assertion == .wordBoundary)
        }
    }
}

/// The states live at one step, in priority order, each at most once (a sparse set).
private struct ThreadList {
    private(set) var threads: [(pc: Int, origin: Int)] = []
    private var seen: [Bool]
    private var marked: [Int] = []

    init(capacity: Int) { seen = Array(repeating: false, count: capacity) }

    var isEmpty: Bool { threads.isEmpty }

    /// Marks `pc` as visited this step; false if it already was.
    mutating func mark(_ pc: Int) -> Bool {
        if seen[pc] { return false }
        seen[pc] = true
        marked.append(pc)
        return true
    }

    mutating func append(_ pc: Int, origin: Int) { threads.append((pc, origin)) }

    mutating func removeThreads(where later: (Int) -> Bool) {
        threads.removeAll { later($0.origin) }
    }

    mutating func clear() {
        for pc in marked { seen[pc] = false }
        marked.removeAll(keepingCapacity: true)
        threads.removeAll(keepingCapacity: true)
    }
}
