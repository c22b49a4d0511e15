/// Numpy-style multidirectional broadcasting, as ONNX defines it for elementwise operators.
enum Broadcast {
    /// The broadcast shape of `a` and `b`, or nil if they are incompatible.
    static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {
            let x = axis - (rank - a.count) >= 0 ? a[axis - (rank - a.count)] : 1
            let y = axis - (rank - b.count) >= 0 ? b[axis - (rank - b.count)] : 1
            if x == y || y == 1 { result[axis] = x } else if x == 1 { result[axis] = y } else { return nil }
        }
        return result
    }

    static func shape(of shapes: [[Int]]) -> [Int]? {
        var result: [Int] = []
        for shape in shapes {
            guard let next = Self.shape(result, shape) else { return nil }
            result = next
        }
        return result
    }

    /// Strides of `shape` as seen from `target`: 0 along broadcast axes.
    static func strides(of shape: [Int], in target: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: target.count)
        var step = 1
        for axis in (0..<shape.count).reversed() {
            let targetAxis = axis + target.count - shape.count
            strides[targetAxis] = shape[axis] == 1 ? 0 : step
            step *= shape[axis]
        }
        return strides
    }

    /// Maps `body` over the broadcast of `a` and `b`. Fast paths cover equal shapes, a scalar
    /// side and a row repeated over a batch (a bias), which is almost every tabular model.
    /// Inlined so that each caller's `body` is inlined into the loops.
    @inline(__always)
    static func map<A, B, R>(
        _ a: [A], _ aShape: [Int], _ b: [B], _ bShape: [Int], _ inputs: KernelInputs,
        _ body: (A, B) -> R
    ) throws -> ([R], [Int]) {
        guard let outShape = shape(aShape, bShape) else {
            throw inputs.fail("shapes \(aShape) and \(bShape) do not broadcast")
        }
        if aShape == bShape { return (DenseMap.zip(a, b, body), outShape) }
        let count = Tensor.elementCount(outShape)
        if b.count == 1, a.count == count { let y = b[0]; return (DenseMap.map(a) { body($0, y) }, outShape) }
        if a.count == 1, b.count == count { let x = a[0]; return (DenseMap.map(b) { body(x, $0) }, outShape) }
        if a.count == count, isRepeatedRow(bShape, of: outShape) {
            let values = a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in repeatingRow(count: count, row: b.count) { i, j in body(a[i], b[j]) } }
            }
            return (values, outShape)
        }
        if b.count == count, isRepeatedRow(aShape, of: outShape) {
            let values = a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in repeatingRow(count: count, row: a.count) { i, j in body(a[j], b[i]) } }
            }
            return (values, outShape)
        }
        let aStrides = strides(of: aShape, in: outShape)
        let bStrides = strides(of: bShape, in: outShape)
        var result: [R] = []
        result.reserveCapacity(count)
        forEachIndex(outShape, aStrides, bStrides) { i, j in result.append(body(a[i], b[j])) }
        return (result, outShape)
    }

    /// Whether an operand of `shape` is the trailing axes of `target` (after leading 1s): it
    /// repeats, whole, once per outer index, as a bias [1, n] does over a batch [m, n].
    static func isRepeatedRow(_ shape: [Int], of target: [Int]) -> Bool {
        let trailing = shape.drop { $0 == 1 }
        return trailing.count <= target.count && target.suffix(trailing.count).elementsEqual(trailing)
    }

    /// `count` results, `element(i, j)` for flat index i whose offset in the repeated row is j
    /// (i % row, without a division per element).
    @inline(__always)
    static func repeatingRow<R>(count: Int, row: Int, _ element: (Int, Int) -> R) -> [R] {
        guard row > 0, count > 0 else { return [] }
        return [R](unsafeUninitializedCapacity: count) { out, initialized in
            let base = out.baseAddress!
            var index = 0
            while index < count {
                let width = Swift.min(row, count &- index)
                let rowStart = base + index
                for j in 0..<width { (rowStart + j).initialize(to: element(index &+ j, j)) }
                index &+= row
            }
            initialized = count
        }
    }

    /// Walks `shape` in row-major order, passing the offsets into two strided operands.
    static func forEachIndex(_ shape: [Int], _ aStrides: [Int], _ bStrides: [Int], _ body: (Int, Int) -> Void) {
        let count = Tensor.elementCount(shape)
        if count == 0 { return }
        if shape.isEmpty { body(0, 0); return }
        let rank = shape.count
        let inner = shape[rank - 1]
        let aInner = aStrides[rank - 1], bInner = bStrides[rank - 1]
        var counter = [Int](repeating: 0, count: rank)
        var aBase = 0, bBase = 0
        for _ in 0..<(count / max(inner, 1)) {
            var i = aBase, j = bBase
            for _ in 0..<inner {
                body(i, j)
                i += aInner
                j += bInner
            }
            // Advance the odometer over the outer axes.
            var axis = rank - 2
            while axis >= 0 {
                counter[axis] += 1
                aBase += aStrides[axis]
                bBase += bStrides[axis]
                if counter[axis] < shape[axis] { break }
                aBase -= aStrides[axis] * shape[axis]
                bBase -= bStrides[axis] * shape[axis]
                counter[axis] = 0
                axis -= 1
            }
        }
    }

    /// Offsets of every element of the broadcast `target` into an operand of `shape`.
    static func offsets(of shape: [Int], in target: [Int]) -> [Int] {
        let strides = strides(of: shape, in: target)
        var offsets: [Int] = []
        offsets.reserveCapacity(Tensor.elementCount(target))
        forEachIndex(target, strides, strides) { i, _ in offsets.append(i) }
        return offsets
    }
}

/// Axis arithmetic shared by reductions, Softmax, Concat, Gather and friends.
enum Axis {
    /// Normalises a possibly negative axis against `rank`.
    static func normalize(_ axis: Int, rank: Int, _ inputs: KernelInputs) throws -> Int {
        let normalized = axis < 0 ? axis + rank : axis
        guard normalized >= 0, normalized < max(rank, 1) || (rank == 0 && normalized == 0) else {
            throw inputs.fail("axis \(axis) is out of range for rank \(rank)")
        }
        return normalized
    }

    /// (outer, axis, inner) sizes around `axis`.
    static func split(_ shape: [Int], at axis: Int) -> (outer: Int, size: Int, inner: Int) {
        let outer = shape[..<axis].reduce(1, *)
        let size = axis < shape.count ? shape[axis] : 1
        let inner = axis + 1 <= shape.count ? shape[(axis + 1)...].reduce(1, *) : 1
        return (outer, size, inner)
    }
}
