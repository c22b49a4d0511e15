/// Matrix products (Gemm, MatMul), Softmax/LogSoftmax and BatchNormalization.
enum MatrixOperators {
    static let all: [String: KernelFactory] = [
        "Gemm": gemm, "MatMul": matMul, "Softmax": softmax(log: false), "LogSoftmax": softmax(log: true),
        "BatchNormalization": batchNormalization,
    ]

    /// Y = alpha * op(A) * op(B) + beta * C, with C unidirectionally broadcast.
    static let gemm: KernelFactory = { context in
        try context.requireInputs(2...3)
        for index in 0..<context.inputCount { try context.requireType(index, in: ElementwiseOperators.floatTypes) }
        let type = try context.sameType(Array(0..<context.inputCount))
        let alpha = try context.attributes.float("alpha", default: 1)
        let beta = try context.attributes.float("beta", default: 1)
        let transA = try context.attributes.int("transA", default: 0) != 0
        let transB = try context.attributes.int("transB", default: 0) != 0
        // Weights are constants: their inner dimension must match the input's declared width.
        if let weights = context.constant(1), weights.rank == 2, !transA {
            try context.checkWidth(0, expected: transB ? weights.shape[1] : weights.shape[0], what: "Gemm's B")
        }
        // A constant B (the usual weights; torch exports them transposed) is laid out once, as
        // the kernel wants it, rather than transposed on every call.
        let laidOutB: TensorStorage? = context.constant(1).flatMap { weights in
            guard transB, weights.rank == 2 else { return nil }
            let (rows, columns) = (weights.shape[0], weights.shape[1])
            switch weights.storage {
            case let .float(values): return .float(transpose2D(values, rows: rows, columns: columns))
            case let .double(values): return .double(transpose2D(values, rows: rows, columns: columns))
            default: return nil
            }
        }
        return LoweredNode(outputs: [.tensorOrUnknown(type)]) { inputs in
            let a = try inputs.tensor(0), b = try inputs.tensor(1), c = try inputs.optionalTensor(2)
            guard a.rank == 2, b.rank == 2 else { throw inputs.fail("Gemm needs 2-D A and B, got \(a.shape) and \(b.shape)") }
            let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
            let (kb, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
            guard k == kb else { throw inputs.fail("Gemm inner dimensions differ: \(a.shape) and \(b.shape)") }
            func run<T: FloatElement>(_ x: [T], _ y: [T], _ bias: [T]?) throws -> Tensor {
                let left = transA ? transpose2D(x, rows: a.shape[0], columns: a.shape[1]) : x
                let right = transB && laidOutB == nil ? transpose2D(y, rows: b.shape[0], columns: b.shape[1]) : y
                var out = multiply(left, right, m: m, k: k, n: n)
                let scale = T(alpha)
                if scale != 1 { for index in out.indices { out[index] *= scale } }
                // beta = 0 drops C entirely, NaN and infinities included, as ONNX Runtime does.
                if let bias, let cShape = c?.shape, beta != 0 {
                    guard Broadcast.shape(cShape, [m, n]) == [m, n] else {
                        throw inputs.fail("Gemm C of shape \(cShape) does not broadcast to [\(m), \(n)]")
                    }
                    let weight = T(beta)
                    (out, _) = try Broadcast.map(out, [m, n], bias, cShape, inputs) { $0 + weight * $1 }
                }
                return Tensor(shape: [m, n], elements: out)
            }
            switch (a.storage, laidOutB ?? b.storage, c?.storage) {
            case let (.float(x), .float(y), .float(z)?): return [.tensor(try run(x, y, z))]
            case let (.float(x), .float(y), nil): return [.tensor(try run(x, y, nil))]
            case let (.double(x), .double(y), .double(z)?): return [.tensor(try run(x, y, z))]
            case let (.double(x), .double(y), nil): return [.tensor(try run(x, y, nil))]
            default: throw inputs.fail("Gemm operands must all be float or all double")
            }
        }
    }

    /// Numpy matmul: 1-D operands are promoted, leading dimensions broadcast.
    static let matMul: KernelFactory = { context in
        try context.requireInputs(2...2)
        try context.requireType(0, in: ElementwiseOperators.numericTypes)
        try context.requireType(1, in: ElementwiseOperators.numericTypes)
        let type = try context.sameType([0, 1])
        return LoweredNode(outputs: [.tensorOrUnknown(type)]) { inputs in
            let a = try inputs.tensor(0), b = try inputs.tensor(1)
            switch (a.storage, b.storage) {
            case let (.float(x), .float(y)): return [.tensor(try batchedMatMul(x, a.shape, y, b.shape, inputs))]
            case let (.double(x), .double(y)): return [.tensor(try batchedMatMul(x, a.shape, y, b.shape, inputs))]
            case let (.int32(x), .int32(y)): return [.tensor(try batchedMatMul(x, a.shape, y, b.shape, inputs))]
            case let (.int64(x), .int64(y)): return [.tensor(try batchedMatMul(x, a.shape, y, b.shape, inputs))]
            default: throw inputs.fail("MatMul operands have types \(a.elementType) and \(b.elementType)")
            }
        }
    }

    static func batchedMatMul<T: NumericElement>(
        _ x: [T], _ xShape: [Int], _ y: [T], _ yShape: [Int], _ inputs: KernelInputs
    ) throws -> Tensor {
        guard !xShape.isEmpty, !yShape.isEmpty else { throw inputs.fail("MatMul operands must not be scalars") }
        let aShape = xShape.count == 1 ? [1, xShape[0]] : xShape
        let bShape = yShape.count == 1 ? [yShape[0], 1] : yShape
        let m = aShape[aShape.count - 2], k = aShape[aShape.count - 1]
        let n = bShape[bShape.count - 1]
        guard bShape[bShape.count - 2] == k else {
            throw inputs.fail("MatMul inner dimensions differ: \(xShape) and \(yShape)")
        }
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        guard let batch = Broadcast.shape(aBatch, bBatch) else {
            throw inputs.fail("MatMul batch dimensions \(aBatch) and \(bBatch) do not broadcast")
        }
        let aOffsets = Broadcast.offsets(of: aBatch, in: batch)
        let bOffsets = Broadcast.offsets(of: bBatch, in: batch)
        let products = x.withUnsafeBufferPointer { x in
            y.withUnsafeBufferPointer { y in
                aOffsets.indices.map { index in
                    multiply(
                        UnsafeBufferPointer(rebasing: x[(aOffsets[index] * m * k)..<((aOffsets[index] + 1) * m * k)]),
                        UnsafeBufferPointer(rebasing: y[(bOffsets[index] * k * n)..<((bOffsets[index] + 1) * k * n)]), m: m, k: k, n: n)
                }
            }
        }
        // One product (the usual [batch, k] × [k, n]) is the answer as it is, not copied.
        let out = products.count == 1 ? products[0] : Array(products.joined())
        var shape = batch + [m, n]
        if xShape.count == 1 { shape.remove(at: shape.count - 2) }
        if yShape.count == 1 { shape.removeLast() }
        return Tensor(shape: shape, elements: out)
    }

    /// Row-major [m,k] x [k,n]: float32 through the register-blocked `FloatMatrixKernel`,
    /// other types through the i-k-j loop, whose inner loop is contiguous in both B and the
    /// output; indices use wrapping arithmetic (bounded by the sizes checked) so no overflow
    /// check blocks vectorisation.
    static func multiply<T: NumericElement>(_ a: UnsafeBufferPointer<T>, _ b: UnsafeBufferPointer<T>, m: Int, k: Int, n: Int) -> [T] {
        precondition(a.count >= m * k && b.count >= k * n)
        if T.self == Float.self {
            // T is Float: the casts are identities.
            let product = FloatMatrixKernel.multiply(
                unsafeBitCast(a, to: UnsafeBufferPointer<Float>.self), unsafeBitCast(b, to: UnsafeBufferPointer<Float>.self), m: m, k: k,
                n: n)
            return unsafeBitCast(product, to: [T].self)
        }
        return plainProduct(a, b, m: m, k: k, n: n)
    }

    static func multiply<T: NumericElement>(_ a: [T], _ b: [T], m: Int, k: Int, n: Int) -> [T] {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in multiply(a, b, m: m, k: k, n: n) } }
    }

    private static func plainProduct<T: NumericElement>(_ a: UnsafeBufferPointer<T>, _ b: UnsafeBufferPointer<T>, m: Int, k: Int, n: Int)
        -> [T]
    {
        var out = [T](repeating: 0, count: m * n)
        out.withUnsafeMutableBufferPointer { out in
            for i in 0..<m {
                let row = i &* n
                for p in 0..<k {
                    let scale = a[i &* k &+ p]
                    let bRow = p &* n
                    for j in 0..<n { out[row &+ j] = T.add(out[row &+ j], T.multiply(scale, b[bRow &+ j])) }
                }
            }
        }
        return out
    }

    static func transpose2D<T>(_ values: [T], rows: Int, columns: Int) -> [T] {
        guard rows > 0, columns > 0 else { return values }
        var out = values
        for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = values[r * columns + c] } }
        return out
    }

    /// Softmax over `axis` (opset 13+) or over the flattened trailing dims (before 13).
    static func softmax(log: Bool) -> KernelFactory {
        { context in
            try context.requireInputs(1...1)
            try context.requireType(0, in: ElementwiseOperators.floatTypes)
            let axis = Int(try context.attributes.int("axis", default: context.opset >= 13 ? -1 : 1))
            let coerced = context.opset < 13
            return LoweredNode(outputs: [context.kind(0)]) { inputs in
                let x = try inputs.tensor(0)
                let normalized = try Axis.normalize(axis, rank: x.rank, inputs)
                let (outer, size, inner): (Int, Int, Int)
                if coerced {
                    let split = Axis.split(x.shape, at: normalized)
                    (outer, size, inner) = (split.outer, split.size * split.inner, 1)
                } else {
                    (outer, size, inner) = Axis.split(x.shape, at: normalized)
                }
                return [.tensor(try x.mapFloat(SoftmaxTransform(outer: outer, size: size, inner: inner, log: log), inputs))]
            }
        }
    }

    struct SoftmaxTransform: FloatTransform {
        let outer: Int, size: Int, inner: Int, log: Bool
        func apply<T: FloatElement>(_ x: [T]) -> [T] {
            var out = x
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * size * inner + i
                    var maximum = -T.infinity
                    for s in 0..<size { maximum = Swift.max(maximum, x[base + s * inner]) }
                    if log && T.self == Double.self {
                        // ONNX Runtime's double LogSoftmax shifts by the largest finite value
                        // (pinned by ops/logsoftmax_* fixtures: [1000, inf, -inf] → [-inf, NaN, -inf]).
                        var finite = -T.infinity
                        for s in 0..<size where x[base + s * inner].isFinite { finite = Swift.max(finite, x[base + s * inner]) }
                        if finite.isFinite { maximum = finite }
                    }
                    var sum: T = 0
                    for s in 0..<size { sum += T.exp(x[base + s * inner] - maximum) }
                    for s in 0..<size {
                        let shifted = x[base + s * inner] - maximum
                        out[base + s * inner] = log ? shifted - T.log(sum) : T.exp(shifted) / sum
                    }
                }
            }
            return out
        }
    }

    /// Inference-mode BatchNormalization: y = scale * (x - mean) / sqrt(var + epsilon) + B, per channel (axis 1).
    static let batchNormalization: KernelFactory = { context in
        try context.requireInputs(5...5)
        if context.opset < 9, try context.attributes.int("spatial", default: 1) == 0 {
            throw context.unsupported("BatchNormalization with spatial=0")
        }
        if try context.attributes.int("training_mode", default: 0) != 0 {
            throw context.unsupported("BatchNormalization with training_mode=1")
        }
        let epsilon = Double(try context.attributes.float("epsilon", default: 1e-5))
        return LoweredNode(outputs: [context.kind(0)]) { inputs in
            let x = try inputs.tensor(0)
            guard x.rank >= 2 else { throw inputs.fail("BatchNormalization input must have rank >= 2") }
            let channels = x.shape[1]
            let parameters = try (1...4).map { index -> [Double] in
                guard let values = try inputs.tensor(index).doubles(), values.count == channels else {
                    throw inputs.fail("BatchNormalization parameter \(index) must hold \(channels) values")
                }
                return values
            }
            let inner = x.shape.dropFirst(2).reduce(1, *)
            let factor = (0..<channels).map { parameters[0][$0] / (parameters[3][$0] + epsilon).squareRoot() }
            let shift = (0..<channels).map { parameters[1][$0] - parameters[2][$0] * factor[$0] }
            return [.tensor(try x.mapFloat(ChannelAffine(channels: channels, inner: inner, factor: factor, shift: shift), inputs))]
        }
    }

    struct ChannelAffine: FloatTransform {
        let channels: Int, inner: Int, factor: [Double], shift: [Double]
        func apply<T: FloatElement>(_ x: [T]) -> [T] {
            var out = x
            for index in x.indices {
                let channel = (index / inner) % channels
                out[index] = x[index] * T(factor[channel]) + T(shift[channel])
            }
            return out
        }
    }
}
