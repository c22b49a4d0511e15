/// Reductions over axes (ReduceSum, ReduceMean, ...), ArgMax/ArgMin and TopK.
enum ReductionOperators {
    enum Reduction: String, CaseIterable, Sendable {
        case ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceSumSquare, ReduceL1, ReduceL2, ReduceLogSumExp

        /// The opset from which `axes` is an input rather than an attribute.
        var axesInputSince: Int { self == .ReduceSum ? 13 : 18 }
    }

    static let all: [String: KernelFactory] = {
        var table: [String: KernelFactory] = [:]
        for op in Reduction.allCases { table[op.rawValue] = reduce(op) }
        table["ArgMax"] = argExtreme(max: true)
        table["ArgMin"] = argExtreme(max: false)
        table["TopK"] = topK
        return table
    }()

    static func reduce(_ op: Reduction) -> KernelFactory {
        { context in
            try context.requireInputs(1...2)
            try context.requireType(0, in: ElementwiseOperators.numericTypes)
            let keepDims = try context.attributes.int("keepdims", default: 1) != 0
            let noopWithEmptyAxes = try context.attributes.int("noop_with_empty_axes", default: 0) != 0
            let attributeAxes = try context.attributes.ints("axes")?.map { Int($0) }
            if context.opset >= op.axesInputSince, attributeAxes != nil {
                throw context.invalid("'axes' is an input from opset \(op.axesInputSince), not an attribute")
            }
            return LoweredNode(outputs: [context.kind(0)]) { inputs in
                let x = try inputs.tensor(0)
                var axes = try inputs.optionalTensor(1)?.integers(inputs, what: "axes") ?? attributeAxes ?? []
                if axes.isEmpty {
                    // Nothing is reduced, but each element still gets the reduction's own transform
                    // (|x| for L1, x² for SumSquare...), as ONNX Runtime computes it.
                    if noopWithEmptyAxes { return [.tensor(try Reducer(op: op, shape: x.shape, axes: [], keepDims: true).run(x, inputs))] }
                    axes = Array(0..<x.rank)
                }
                let reduced = Set(try axes.map { try Axis.normalize($0, rank: x.rank, inputs) })
                return [.tensor(try Reducer(op: op, shape: x.shape, axes: reduced, keepDims: keepDims).run(x, inputs))]
            }
        }
    }

    /// One reduction over a set of axes of a fixed input shape.
    struct Reducer {
        let op: Reduction
        let shape: [Int]
        let axes: Set<Int>
        let keepDims: Bool

        var keptShape: [Int] { shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element } }
        var outputShape: [Int] { keepDims ? keptShape : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element) }

        func run(_ x: Tensor, _ inputs: KernelInputs) throws -> Tensor {
            switch x.storage {
            case let .float(v): Tensor(shape: outputShape, elements: reduce(v))
            case let .double(v): Tensor(shape: outputShape, elements: reduce(v))
            case let .int32(v): Tensor(shape: outputShape, elements: reduce(v))
            case let .int64(v): Tensor(shape: outputShape, elements: reduce(v))
            default: throw inputs.fail("cannot reduce a \(x.elementType) tensor")
            }
        }

        /// Output offset for every input element, in input order.
        private func targets() -> [Int] {
            let kept = keptShape
            var outStrides = [Int](repeating: 0, count: shape.count)
            var step = 1
            for axis in (0..<shape.count).reversed() where !axes.contains(axis) {
                outStrides[axis] = step
                step *= kept[axis]
            }
            var result: [Int] = []
            result.reserveCapacity(Tensor.elementCount(shape))
            let inStrides = Broadcast.strides(of: shape, in: shape)
            Broadcast.forEachIndex(shape, inStrides, outStrides) { _, o in result.append(o) }
            return result
        }

        func reduce<T: NumericElement>(_ x: [T]) -> [T] {
            let count = Tensor.elementCount(keptShape)
            let target = targets()
            let groupSize = count == 0 ? 0 : x.count / count
            func fold(_ initial: T, _ f: (T, T) -> T) -> [T] {
                var acc = [T](repeating: initial, count: count)
                for (i, o) in target.enumerated() { acc[o] = f(acc[o], x[i]) }
                return acc
            }
            /// Eigen's maxCoeff/minCoeff, which ONNX Runtime uses: the first element, replaced by
            /// each later one that compares strictly better, so NaN counts only when it comes first.
            func extreme(_ better: (T, T) -> Bool, empty: T) -> [T] {
                var acc = [T](repeating: empty, count: count)
                var seen = [Bool](repeating: false, count: count)
                for (i, o) in target.enumerated() where !seen[o] || better(x[i], acc[o]) {
                    acc[o] = x[i]
                    seen[o] = true
                }
                return acc
            }
            switch op {
            case .ReduceSum: return fold(0, T.add)
            case .ReduceMean: return fold(0, T.add).map { T.divide($0, T(double: Double(groupSize))) }
            case .ReduceMax: return extreme(>, empty: T.lowest)
            case .ReduceMin: return extreme(<, empty: T.highest)
            case .ReduceProd: return fold(1, T.multiply)
            case .ReduceSumSquare: return fold(0) { T.add($0, T.multiply($1, $1)) }
            case .ReduceL1: return fold(0) { T.add($0, $1 < 0 ? T.subtract(0, $1) : $1) }
            case .ReduceL2: return fold(0) { T.add($0, T.multiply($1, $1)) }.map { T(double: $0.double.squareRoot()) }
            case .ReduceLogSumExp:
                // ONNX Runtime's shift: the largest finite element (the first element when it
                // is finite or NaN, 0 when it is infinite), so an infinity gives ±inf, not NaN.
                var shift = [Double](repeating: 0, count: count)
                var started = [Bool](repeating: false, count: count)
                for (i, o) in target.enumerated() {
                    let v = x[i].double
                    if !started[o] {
                        shift[o] = v.isInfinite ? 0 : v
                        started[o] = true
                    } else if !(v.isInfinite || v.isNaN || v < shift[o]) {
                        shift[o] = v
                    }
                }
                var sums = [Double](repeating: 0, count: count)
                for (i, o) in target.enumerated() { sums[o] += exp(x[i].double - shift[o]) }
                return (0..<count).map { T(double: log(sums[$0]) + shift[$0]) }
            }
        }
    }

    static func argExtreme(max: Bool) -> KernelFactory {
        { context in
            try context.requireInputs(1...1)
            try context.requireType(0, in: ElementwiseOperators.numericTypes)
            let axis = Int(try context.attributes.int("axis", default: 0))
            let keepDims = try context.attributes.int("keepdims", default: 1) != 0
            let selectLast = try context.attributes.int("select_last_index", default: 0) != 0
            return LoweredNode(outputs: [.tensor(.int64)]) { inputs in
                let x = try inputs.tensor(0)
                let normalized = try Axis.normalize(axis, rank: x.rank, inputs)
                let (outer, size, inner) = Axis.split(x.shape, at: normalized)
                guard size > 0 else { throw inputs.fail("cannot take Arg\(max ? "Max" : "Min") over an empty axis") }
                func run<T: NumericElement>(_ v: [T]) -> [Int64] {
                    var result = [Int64](repeating: 0, count: outer * inner)
                    for o in 0..<outer {
                        for i in 0..<inner {
                            let base = o * size * inner + i
                            var best = v[base], index = 0
                            for s in 1..<size {
                                let candidate = v[base + s * inner]
                                let better = max ? candidate > best : candidate < best
                                if better || (selectLast && candidate == best) { best = candidate; index = s }
                            }
                            result[o * inner + i] = Int64(index)
                        }
                    }
                    return result
                }
                var shape = x.shape
                if keepDims { shape[normalized] = 1 } else { shape.remove(at: normalized) }
                switch x.storage {
                case let .float(v): return [.tensor(.int64(run(v), shape: shape))]
                case let .double(v): return [.tensor(.int64(run(v), shape: shape))]
                case let .int32(v): return [.tensor(.int64(run(v), shape: shape))]
                case let .int64(v): return [.tensor(.int64(run(v), shape: shape))]
                default: throw inputs.fail("cannot take an argmax of a \(x.elementType) tensor")
                }
            }
        }
    }

    /// TopK: k as an attribute before opset 10, as an input after.
    static let topK: KernelFactory = { context in
        try context.requireInputs(1...2)
        try context.requireType(0, in: ElementwiseOperators.numericTypes)
        let axis = Int(try context.attributes.int("axis", default: -1))
        let largest = try context.attributes.int("largest", default: 1) != 0
        let attributeK = try context.attributes.int("k").map { Int($0) }
        return LoweredNode(outputs: [context.kind(0), .tensor(.int64)]) { inputs in
            let x = try inputs.tensor(0)
            guard let k = try inputs.optionalTensor(1)?.integers(inputs, what: "K").first ?? attributeK else {
                throw inputs.fail("TopK needs K")
            }
            let normalized = try Axis.normalize(axis, rank: x.rank, inputs)
            let (outer, size, inner) = Axis.split(x.shape, at: normalized)
            guard k >= 0, k <= size else { throw inputs.fail("K=\(k) is outside 0...\(size)") }
            var shape = x.shape
            shape[normalized] = k
            var indices = [Int64]()
            indices.reserveCapacity(outer * k * inner)
            func run<T: NumericElement>(_ v: [T]) -> [T] {
                var values = [T](repeating: 0, count: outer * k * inner)
                var order = [Int64](repeating: 0, count: outer * k * inner)
                for o in 0..<outer {
                    for i in 0..<inner {
                        let base = o * size * inner + i
                        // Ties keep the lower index first, as ONNX specifies.
                        // NaN ranks above every number (first when largest, last when smallest),
                        // as in ONNX Runtime; ties keep the lower index first.
                        let ranked = (0..<size).sorted { p, q in
                            let a = v[base + p * inner], b = v[base + q * inner]
                            let aNaN = a != a, bNaN = b != b
                            if aNaN || bNaN {
                                if aNaN && bNaN { return p < q }
                                return largest ? aNaN : bNaN
                            }
                            if a == b { return p < q }
                            return largest ? a > b : a < b
                        }
                        for (rank, position) in ranked.prefix(k).enumerated() {
                            values[(o * k + rank) * inner + i] = v[base + position * inner]
                            order[(o * k + rank) * inner + i] = Int64(position)
                        }
                    }
                }
                indices = order
                return values
            }
            let values: Tensor
            switch x.storage {
            case let .float(v): values = Tensor(shape: shape, elements: run(v))
            case let .double(v): values = Tensor(shape: shape, elements: run(v))
            case let .int32(v): values = Tensor(shape: shape, elements: run(v))
            case let .int64(v): values = Tensor(shape: shape, elements: run(v))
            default: throw inputs.fail("cannot rank a \(x.elementType) tensor")
            }
            return [.tensor(values), .tensor(.int64(indices, shape: shape))]
        }
    }
}
