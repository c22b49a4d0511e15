/// TfIdfVectorizer (opset 9): counts the pool's n-grams in each row of a [C] or [N, C]
/// tensor of strings or integers, with up to `max_skip_count` tokens skipped between an
/// n-gram's items, then weights the counts (TF, IDF or TFIDF). Semantics follow ONNX Runtime:
/// unigrams are counted once (skips do not apply to them), and `weights[i]` scales
/// the column of the pool's i-th n-gram.
struct TfIdfVectorizer: Sendable {
    enum Mode: String, Sendable { case tf = "TF", idf = "IDF", tfidf = "TFIDF" }

    enum Pool: Sendable {
        case strings(GramTrie<ExactText>)
        case integers(GramTrie<Int64>)
    }

    let mode: Mode
    let minimumLength: Int
    let maximumLength: Int
    let maximumSkip: Int
    /// Pool n-grams (only those of a length in range) to their output column.
    let pool: Pool
    let outputWidth: Int
    /// Per output column, when the model gives weights.
    let weights: [Float]?

    static let factory: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: [.string, .int32, .int64])
        let attributes = context.attributes
        let modeName = try attributes.required(attributes.string("mode"), "mode")
        guard let mode = Mode(rawValue: modeName) else { throw context.invalid("mode '\(modeName)' is not TF, IDF or TFIDF") }
        let minimum = Int(try attributes.required(attributes.int("min_gram_length"), "min_gram_length"))
        let maximum = Int(try attributes.required(attributes.int("max_gram_length"), "max_gram_length"))
        let skip = Int(try attributes.required(attributes.int("max_skip_count"), "max_skip_count"))
        let counts = try attributes.required(attributes.ints("ngram_counts"), "ngram_counts").map { Int($0) }
        let indexes = try attributes.required(attributes.ints("ngram_indexes"), "ngram_indexes").map { Int($0) }
        let weights = try attributes.floats("weights")
        guard minimum > 0, maximum >= minimum, maximum <= counts.count, skip >= 0, skip <= 1024 else {
            throw context.invalid("n-gram lengths \(minimum)...\(maximum), skip \(skip) and \(counts.count) ngram_counts do not fit")
        }
        guard !indexes.isEmpty, indexes.allSatisfy({ (0..<RuntimeLimits.maxCreatedElements).contains($0) }) else {
            throw context.invalid("ngram_indexes must be non-empty and non-negative")
        }
        if let weights, weights.count != indexes.count {
            throw context.invalid("weights has \(weights.count) values for \(indexes.count) n-grams")
        }
        // weights[i] belongs to the i-th n-gram of the pool, so it scales column ngram_indexes[i].
        let width = (indexes.max() ?? 0) + 1
        let columnWeights = weights.map { weights in
            zip(indexes, weights).reduce(into: [Float](repeating: 0, count: width)) { $0[$1.0] = $1.1 }
        }
        let layout = PoolLayout(counts: counts, indexes: indexes, lengths: minimum...maximum, label: context.label)
        let pool: Pool
        if let strings = try attributes.strings("pool_strings") {
            pool = .strings(GramTrie(try layout.grams(strings.map(ExactText.init))))
        } else if let integers = try attributes.ints("pool_int64s") {
            pool = .integers(GramTrie(try layout.grams(integers)))
        } else {
            throw context.invalid("needs pool_strings or pool_int64s")
        }
        let vectorizer = TfIdfVectorizer(
            mode: mode, minimumLength: minimum, maximumLength: maximum, maximumSkip: skip, pool: pool,
            outputWidth: width, weights: columnWeights)
        return LoweredNode(outputs: [.tensor(.float)]) { inputs in
            [.tensor(try vectorizer.run(try inputs.tensor(0), inputs))]
        }
    }

    func run(_ input: Tensor, _ inputs: KernelInputs) throws -> Tensor {
        guard input.rank <= 2 else { throw inputs.fail("input must be [C] or [N, C], got shape \(input.shape)") }
        let rows = input.rank == 2 ? input.shape[0] : 1
        if input.rank == 2, rows < 1 { throw inputs.fail("input [N, C] needs N > 0") }
        let width = input.rank == 0 ? 1 : input.shape[input.rank - 1]
        try RuntimeLimits.check([rows, outputWidth], inputs)
        var counts = [UInt32](repeating: 0, count: rows * outputWidth)
        switch (pool, input.storage) {
        case let (.strings(grams), .string(tokens)):
            count(tokens.map(ExactText.init), rows: rows, width: width, grams: grams, into: &counts)
        case let (.integers(grams), .int64(tokens)):
            count(tokens, rows: rows, width: width, grams: grams, into: &counts)
        case let (.integers(grams), .int32(tokens)):
            count(tokens.map(Int64.init), rows: rows, width: width, grams: grams, into: &counts)
        default:
            throw inputs.fail("input of type \(input.elementType) does not match the pool's type")
        }
        let values = weighted(counts)
        return Tensor(shape: input.rank == 2 ? [rows, outputWidth] : [outputWidth], storage: .float(values))
    }

    /// Walks the trie from every start, as ORT does: a missing prefix ends the n-gram.
    private func count<Token: Hashable>(
        _ tokens: [Token], rows: Int, width: Int, grams: GramTrie<Token>, into counts: inout [UInt32]
    ) {
        guard !grams.isEmpty else { return }
        let ids = tokens.map { grams.vocabulary[$0] ?? -1 }  // one hash per token
        for row in 0..<rows {
            let base = row * width
            var shortest = minimumLength
            for skip in 0...maximumSkip {
                let distance = skip + 1
                for start in 0..<width {
                    var node: Int32 = 0
                    var position = start
                    for length in 1...maximumLength {
                        guard position < width, let child = grams.child(of: node, ids[base + position]) else { break }
                        node = child
                        let column = grams.columns[Int(node)]
                        if length >= shortest, column >= 0 { counts[row * outputWidth + Int(column)] &+= 1 }
                        position += distance
                    }
                }
                // Unigrams do not depend on the skip: count them in the first pass only.
                if shortest == 1 {
                    shortest = 2
                    if shortest > maximumLength { break }
                }
            }
        }
    }

    private func weighted(_ counts: [UInt32]) -> [Float] {
        var values = [Float](repeating: 0, count: counts.count)
        for (index, count) in counts.enumerated() {
            let weight = weights?[index % outputWidth] ?? 1
            switch mode {
            case .tf: values[index] = Float(count)
            case .idf: values[index] = count > 0 ? weight : 0
            case .tfidf:
                // Added once per occurrence, as ORT accumulates it (not count × weight, which
                // can differ in the last bit).
                var total: Float = 0
                for _ in 0..<count { total += weight }
                values[index] = total
            }
        }
        return values
    }
}

/// How the flat pool is cut into n-grams: `ngram_counts[k]` is where the (k+1)-grams start.
private struct PoolLayout {
    let counts: [Int]
    let indexes: [Int]
    let lengths: ClosedRange<Int>
    let label: String

    /// The n-grams of the lengths in use, each mapped to its output column. N-gram ids run
    /// through the whole pool, so the ones of other lengths still take their ids.
    func grams<Token: Hashable>(_ pool: [Token]) throws -> [[Token]: Int] {
        var grams: [[Token]: Int] = [:]
        var id = 0
        for (k, start) in counts.enumerated() {
            let length = k + 1
            let end = k + 1 < counts.count ? counts[k + 1] : pool.count
            guard start >= 0, start <= end, end <= pool.count, (end - start) % length == 0 else {
                throw ModelLoadError.invalidGraph("\(label): ngram_counts do not cut the pool into whole \(length)-grams")
            }
            for first in stride(from: start, to: end, by: length) {
                defer { id += 1 }
                guard lengths.contains(length) else { continue }
                guard id < indexes.count else {
                    throw ModelLoadError.invalidGraph("\(label): the pool has more n-grams than ngram_indexes")
                }
                let gram = Array(pool[first..<first + length])
                guard grams.updateValue(indexes[id], forKey: gram) == nil else {
                    throw ModelLoadError.invalidGraph("\(label): n-gram \(gram) appears twice in the pool")
                }
            }
        }
        return grams
    }
}

/// The pool's n-grams as a trie over token ids: a request's tokens are looked up once each,
/// then every n-gram is a walk of integer steps.
struct GramTrie<Token: Hashable & Sendable>: Sendable {
    /// Every token the pool uses, numbered.
    let vocabulary: [Token: Int32]
    private let children: [[Int32: Int32]]
    /// Per node, the output column of the n-gram ending there, or -1.
    let columns: [Int32]

    init(_ grams: [[Token]: Int]) {
        var vocabulary: [Token: Int32] = [:]
        var children: [[Int32: Int32]] = [[:]]
        var columns: [Int32] = [-1]
        for (gram, column) in grams {
            var node = 0
            for token in gram {
                let id = vocabulary[token] ?? Int32(vocabulary.count)
                vocabulary[token] = id
                if let child = children[node][id] {
                    node = Int(child)
                } else {
                    children[node][id] = Int32(children.count)
                    node = children.count
                    children.append([:])
                    columns.append(-1)
                }
            }
            columns[node] = Int32(column)
        }
        self.vocabulary = vocabulary
        self.children = children
        self.columns = columns
    }

    var isEmpty: Bool { children.count == 1 }

    func child(of node: Int32, _ id: Int32) -> Int32? {
        id < 0 ? nil : children[Int(node)][id]
    }
}
