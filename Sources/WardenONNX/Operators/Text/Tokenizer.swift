/// The com.microsoft Tokenizer, as skl2onnx emits it for CountVectorizer and TfidfVectorizer:
/// each string of a [C] or [N, C] tensor becomes a row of tokens, padded to the longest row,
/// so the output is [C, T] or [N, C, T]. Semantics follow ONNX Runtime's kernel: separators
/// apply one after another, each splitting the pieces the previous one left; a token
/// expression keeps its leftmost-longest matches; tokens shorter than `mincharnum`
/// characters are dropped; `mark` wraps each row in U+0002 ... U+0003 before the padding.
struct Tokenizer: Sendable {
    enum Splitting: Sendable {
        case characters
        case separators([TextPattern])
        case expression(TextPattern)
    }

    let splitting: Splitting
    let mark: Bool
    let padValue: String
    let minimumCharacters: Int

    static let factory: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: [.string])
        let attributes = context.attributes
        let mark = try attributes.required(attributes.int("mark"), "mark") != 0
        let padValue = try attributes.required(attributes.string("pad_value"), "pad_value")
        let minimum = try attributes.required(attributes.int("mincharnum"), "mincharnum")
        guard minimum > 0 else { throw context.invalid("mincharnum must be positive, got \(minimum)") }
        let splitting: Splitting
        func compile(_ pattern: String, _ what: String) throws -> TextPattern {
            do { return try TextPattern(pattern) } catch { throw context.unsupported("\(what) '\(pattern)': \(error)") }
        }
        if let separators = try attributes.strings("separators") {
            guard !separators.isEmpty else { throw context.invalid("separators must not be empty") }
            splitting =
                separators == [""] ? .characters : .separators(try separators.map { try compile($0, "separator") })
        } else if let expression = try attributes.string("tokenexp") {
            guard !expression.isEmpty else { throw context.invalid("tokenexp must not be empty") }
            splitting = expression == "." ? .characters : .expression(try compile(expression, "tokenexp"))
        } else {
            throw context.invalid("needs either separators or tokenexp")
        }
        if case .characters = splitting, minimum > 1 {
            throw context.invalid("mincharnum \(minimum) is too big for character tokenization")
        }
        let tokenizer = Tokenizer(splitting: splitting, mark: mark, padValue: padValue, minimumCharacters: Int(minimum))
        return LoweredNode(outputs: [.tensor(.string)]) { inputs in
            [.tensor(try tokenizer.run(try inputs.tensor(0), inputs))]
        }
    }

    func run(_ input: Tensor, _ inputs: KernelInputs) throws -> Tensor {
        guard input.rank == 1 || input.rank == 2 else {
            throw inputs.fail("input must be [C] or [N, C], got shape \(input.shape)")
        }
        let rows = try input.elements(String.self, inputs).map(tokens)
        let longest = rows.map(\.count).max() ?? 0
        guard longest > 0 else { return Tensor(shape: input.shape + [0], storage: .string([])) }
        let width = longest + (mark ? 2 : 0)
        try RuntimeLimits.check(input.shape + [width], inputs)
        var output: [String] = []
        output.reserveCapacity(rows.count * width)
        for row in rows {
            if mark { output.append("\u{2}") }
            output += row
            if mark { output.append("\u{3}") }
            output += repeatElement(padValue, count: longest - row.count)
        }
        return Tensor(shape: input.shape + [width], storage: .string(output))
    }

    func tokens(of text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        // Tokens are cut from the UTF-8 bytes by each scalar's offset: no re-encoding.
        let bytes = Array(text.utf8)
        var offsets = [Int](repeating: 0, count: scalars.count + 1)
        for (index, scalar) in scalars.enumerated() { offsets[index + 1] = offsets[index] + UTF8.width(scalar) }
        func token(_ range: Range<Int>) -> String {
            String(decoding: bytes[offsets[range.lowerBound]..<offsets[range.upperBound]], as: UTF8.self)
        }
        switch splitting {
        case .characters:
            return scalars.indices.map { token($0..<($0 + 1)) }
        case let .expression(pattern):
            var tokens: [String] = []
            var start = 0
            while let match = pattern.firstMatch(in: scalars, from: start) {
                if match.count >= minimumCharacters {
                    tokens.append(token(match))
                    start = match.upperBound
                } else {
                    start = match.lowerBound + 1
                }
            }
            return tokens
        case let .separators(patterns):
            var pieces = [0..<scalars.count]
            for pattern in patterns {
                pieces = pieces.flatMap { split($0, of: scalars, at: pattern) }
            }
            return pieces.map(token)
        }
    }

    /// The pieces of `range` between matches of `separator` that are long enough. An empty
    /// match swallows the character it sits on, as in ONNX Runtime. A piece is matched as a
    /// text of its own (its start and end are the text's start and end for `^`, `$`, `\b`).
    private func split(_ range: Range<Int>, of scalars: [Unicode.Scalar], at separator: TextPattern) -> [Range<Int>] {
        let text = Array(scalars[range])
        var pieces: [Range<Int>] = []
        var start = 0
        while let match = separator.firstMatch(in: text, from: start) {
            if match.lowerBound - start >= minimumCharacters {
                pieces.append((range.lowerBound + start)..<(range.lowerBound + match.lowerBound))
            }
            start = match.isEmpty ? match.lowerBound + 1 : match.upperBound
        }
        if start < text.count, text.count - start >= minimumCharacters { pieces.append((range.lowerBound + start)..<range.upperBound) }
        return pieces
    }
}
