/// Einsum (opset 12): products summed over repeated labels, as torch exports matrix
/// products, batched attention scores and transposes. Any number of operands, explicit or
/// implicit output, repeated labels (diagonals) and `...` broadcasting are supported; the
/// work is one pass over every combination of label values, bounded before it starts.
enum Einsum {
    /// Multiply-adds allowed per call: a model cannot make one request spin for minutes.
    static let maxProducts = 1 << 28

    static let factory: KernelFactory = { context in
        guard context.inputCount >= 1 else { throw context.invalid("needs at least one input") }
        for index in 0..<context.inputCount { try context.requireType(index, in: ElementwiseOperators.numericTypes) }
        let type = try context.sameType(Array(0..<context.inputCount))
        let equation = try context.attributes.required(context.attributes.string("equation"), "equation")
        let parsed = try EinsumEquation(equation, operands: context.inputCount, label: context.label)
        return LoweredNode(outputs: [.tensorOrUnknown(type)]) { inputs in
            let operands = try (0..<inputs.count).map { try inputs.tensor($0) }
            let plan = try parsed.plan(shapes: operands.map(\.shape), inputs)
            switch operands[0].storage {
            case .float: return [.tensor(try plan.run(operands.map { try $0.elements(Float.self, inputs) }))]
            case .double: return [.tensor(try plan.run(operands.map { try $0.elements(Double.self, inputs) }))]
            case .int32: return [.tensor(try plan.run(operands.map { try $0.elements(Int32.self, inputs) }))]
            case .int64: return [.tensor(try plan.run(operands.map { try $0.elements(Int64.self, inputs) }))]
            default: throw inputs.fail("Einsum needs numeric operands")
            }
        }
    }
}

/// An equation's labels per operand and for the output. Letters are labels by their scalar
/// value; `...` stands for broadcast axes, labelled 0, 1, ... (right-aligned across operands).
struct EinsumEquation: Sendable {
    enum Term: Equatable, Sendable { case letter(UInt32), ellipsis }
    let operands: [[Term]]
    /// nil: implicit output (the letters used once, in alphabetical order, after `...`).
    let output: [Term]?

    init(_ equation: String, operands count: Int, label: String) throws {
        let text = equation.filter { $0 != " " }
        let sides = text.split(separator: "->", omittingEmptySubsequences: false).map(String.init)
        guard sides.count <= 2 else { throw ModelLoadError.invalidGraph("\(label): equation '\(equation)' has two '->'") }
        func terms(_ part: String) throws -> [Term] {
            var result: [Term] = []
            var rest = Substring(part)
            while let first = rest.unicodeScalars.first {
                if rest.hasPrefix("...") {
                    guard !result.contains(.ellipsis) else { throw ModelLoadError.invalidGraph("\(label): two '...' in one term") }
                    result.append(.ellipsis)
                    rest = rest.dropFirst(3)
                } else if first.properties.isAlphabetic, first.isASCII {
                    result.append(.letter(first.value))
                    rest = rest.dropFirst()
                } else {
                    throw ModelLoadError.invalidGraph("\(label): equation '\(equation)' has '\(first)'")
                }
            }
            return result
        }
        operands = try sides[0].split(separator: ",", omittingEmptySubsequences: false).map { try terms(String($0)) }
        guard operands.count == count else {
            throw ModelLoadError.invalidGraph("\(label): equation names \(operands.count) operands, the node has \(count)")
        }
        output = sides.count == 2 ? try terms(sides[1]) : nil
    }

    /// Resolves labels against the actual shapes.
    func plan(shapes: [[Int]], _ inputs: KernelInputs) throws -> EinsumPlan {
        var sizes: [Int: Int] = [:]  // label -> size; ellipsis axes are 0..<broadcastRank
        var operandLabels: [[Int]] = []
        let broadcastRank =
            try zip(operands, shapes).map { terms, shape -> Int in
                let letters = terms.filter { $0 != .ellipsis }.count
                let extra = shape.count - letters
                guard extra >= 0, extra == 0 || terms.contains(.ellipsis) else {
                    throw inputs.fail("operand of shape \(shape) does not fit its term")
                }
                return extra
            }.max() ?? 0
        for (terms, shape) in zip(operands, shapes) {
            let extra = shape.count - terms.filter { $0 != .ellipsis }.count
            var labels: [Int] = []
            for term in terms {
                switch term {
                case let .letter(value): labels.append(Int(value) + broadcastRank)
                case .ellipsis: labels += (broadcastRank - extra..<broadcastRank).map { $0 }
                }
            }
            for (label, size) in zip(labels, shape) {
                if let known = sizes[label], known != size {
                    // Broadcast axes may be 1 on one side; letters must agree.
                    guard label < broadcastRank, known == 1 || size == 1 else {
                        throw inputs.fail("dimension sizes \(known) and \(size) disagree for one label")
                    }
                    sizes[label] = max(known, size)
                } else {
                    sizes[label] = size
                }
            }
            operandLabels.append(labels)
        }
        let outputLabels: [Int]
        if let output {
            outputLabels = output.flatMap { term -> [Int] in
                switch term {
                case let .letter(value): [Int(value) + broadcastRank]
                case .ellipsis: Array(0..<broadcastRank)
                }
            }
            guard Set(outputLabels).count == outputLabels.count, outputLabels.allSatisfy({ sizes[$0] != nil }) else {
                throw inputs.fail("output labels must be distinct and appear in an operand")
            }
        } else {
            let counts = operandLabels.joined().reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }
            outputLabels = Array(0..<broadcastRank) + counts.keys.filter { $0 >= broadcastRank && counts[$0] == 1 }.sorted()
        }
        let summed = Set(operandLabels.joined()).subtracting(outputLabels).sorted()
        return try EinsumPlan(
            outputLabels: outputLabels, summedLabels: summed, operandLabels: operandLabels, operandShapes: shapes,
            sizes: sizes, inputs: inputs)
    }
}

/// One resolved Einsum: strides of every operand per label, then a walk over all label values.
struct EinsumPlan {
    let outputShape: [Int]
    let summedSizes: [Int]
    /// Per operand: its stride for each output label, then for each summed label.
    let outputStrides: [[Int]]
    let summedStrides: [[Int]]

    init(
        outputLabels: [Int], summedLabels: [Int], operandLabels: [[Int]], operandShapes: [[Int]], sizes: [Int: Int],
        inputs: KernelInputs
    ) throws {
        outputShape = outputLabels.map { sizes[$0]! }
        summedSizes = summedLabels.map { sizes[$0]! }
        try RuntimeLimits.check(outputShape, inputs)
        let work = (outputShape + summedSizes).reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
        guard work <= Einsum.maxProducts else {
            throw inputs.fail("Einsum needs \(work) products, over the limit of \(Einsum.maxProducts)")
        }
        func strides(_ labels: [Int], _ shape: [Int], for wanted: [Int]) -> [Int] {
            var axisStride = [Int](repeating: 1, count: shape.count)
            for d in stride(from: shape.count - 2, through: 0, by: -1) { axisStride[d] = axisStride[d + 1] * shape[d + 1] }
            // A label used twice in one operand (a diagonal) moves along both axes at once;
            // a broadcast axis of size 1 does not move at all.
            return wanted.map { label in
                zip(labels, zip(axisStride, shape)).reduce(0) { total, entry in
                    entry.0 == label && entry.1.1 != 1 ? total + entry.1.0 : total
                }
            }
        }
        outputStrides = zip(operandLabels, operandShapes).map { strides($0, $1, for: outputLabels) }
        summedStrides = zip(operandLabels, operandShapes).map { strides($0, $1, for: summedLabels) }
    }

    func run<T: NumericElement>(_ operands: [[T]]) throws -> Tensor {
        let count = Tensor.elementCount(outputShape)
        var result = [T](repeating: 0, count: count)
        let summedCount = summedSizes.reduce(1, *)
        var outputIndex = [Int](repeating: 0, count: outputShape.count)
        var bases = [Int](repeating: 0, count: operands.count)
        for position in 0..<count {
            var total: T = 0
            var summedIndex = [Int](repeating: 0, count: summedSizes.count)
            var offsets = bases
            for _ in 0..<summedCount {
                var product: T = 1
                for (operand, offset) in zip(operands, offsets) { product = T.multiply(product, operand[offset]) }
                total = T.add(total, product)
                Self.advance(&summedIndex, sizes: summedSizes, strides: summedStrides, offsets: &offsets)
            }
            result[position] = total
            Self.advance(&outputIndex, sizes: outputShape, strides: outputStrides, offsets: &bases)
        }
        return Tensor(shape: outputShape, elements: result)
    }

    /// Steps a row-major odometer, moving every operand's offset with it.
    private static func advance(_ index: inout [Int], sizes: [Int], strides: [[Int]], offsets: inout [Int]) {
        var d = sizes.count - 1
        while d >= 0 {
            index[d] += 1
            for k in offsets.indices { offsets[k] += strides[k][d] }
            if index[d] < sizes[d] { return }
            for k in offsets.indices { offsets[k] -= strides[k][d] * sizes[d] }
            index[d] = 0
            d -= 1
        }
    }
}
