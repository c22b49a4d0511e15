import Testing

@testable import WardenONNX

/// The dense fast paths (issue 25, item 4) give the answers of the plain loops they replaced,
/// bit for bit: the blocked float product sums each element in the same order, and the
/// broadcast shortcuts visit the same pairs as the strided walk.
@Suite struct DenseKernelTests {
    static func values(_ count: Int, _ random: inout SplitMix, specials: Bool) -> [Float] {
        (0..<count).map { _ in
            if specials, Int.random(in: 0..<40, using: &random) == 0 {
                return [Float.nan, .infinity, -.infinity, -0.0, .greatestFiniteMagnitude].randomElement(using: &random)!
            }
            return Float.random(in: -4...4, using: &random)
        }
    }

    /// The i-k-j loop the kernel replaced: each element summed from p = 0 up.
    static func reference(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Float] {
        var out = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for p in 0..<k {
                for j in 0..<n { out[i * n + j] = out[i * n + j] + a[i * k + p] * b[p * n + j] }
            }
        }
        return out
    }

    static func sameBits(_ x: [Float], _ y: [Float]) -> Bool {
        x.count == y.count && zip(x, y).allSatisfy { ($0.isNaN && $1.isNaN) || $0.bitPattern == $1.bitPattern }
    }

    @Test func blockedProductMatchesThePlainLoopBitForBit() {
        var random = SplitMix(state: 25)
        // Every tile edge: rows around multiples of 4, columns around multiples of 8, empty k.
        let shapes = [0, 1, 3, 4, 5, 8, 11].flatMap { m in
            [0, 1, 2, 7, 16, 33].flatMap { k in [0, 1, 2, 7, 8, 9, 16, 21].map { n in (m, k, n) } }
        }
        for (m, k, n) in shapes {
            for specials in [false, true] {
                let a = Self.values(m * k, &random, specials: specials), b = Self.values(k * n, &random, specials: specials)
                let product = MatrixOperators.multiply(a, b, m: m, k: k, n: n)
                #expect(Self.sameBits(product, Self.reference(a, b, m: m, k: k, n: n)), "m \(m) k \(k) n \(n) specials \(specials)")
            }
        }
    }

    @Test func batchedMatMulKeepsEachProductApart() throws {
        var random = SplitMix(state: 31)
        let a = Self.values(2 * 5 * 3, &random, specials: false), b = Self.values(3 * 9, &random, specials: false)
        let inputs = KernelInputs(values: [], node: "test")
        let product = try MatrixOperators.batchedMatMul(a, [2, 5, 3], b, [3, 9], inputs)
        #expect(product.shape == [2, 5, 9])
        let first = Self.reference(Array(a[0..<15]), b, m: 5, k: 3, n: 9)
        let second = Self.reference(Array(a[15..<30]), b, m: 5, k: 3, n: 9)
        #expect(product == Tensor(shape: [2, 5, 9], elements: first + second))
    }

    /// The strided walk every broadcast falls back on.
    static func strided(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], _ body: (Float, Float) -> Float) -> [Float] {
        let out = Broadcast.shape(aShape, bShape)!
        var result: [Float] = []
        Broadcast.forEachIndex(out, Broadcast.strides(of: aShape, in: out), Broadcast.strides(of: bShape, in: out)) { i, j in
            result.append(body(a[i], b[j]))
        }
        return result
    }

    @Test func repeatedRowBroadcastMatchesTheStridedWalk() throws {
        var random = SplitMix(state: 7)
        let inputs = KernelInputs(values: [], node: "test")
        let cases: [([Int], [Int])] = [
            ([6, 5], [5]), ([6, 5], [1, 5]), ([5], [6, 5]), ([1, 5], [6, 5]), ([2, 3, 4], [3, 4]), ([2, 3, 4], [1, 1, 4]),
            ([3, 4], [3, 1]), ([3, 1], [1, 4]), ([4, 0], [0]), ([2, 3, 4], [2, 1, 4]),
        ]
        for (aShape, bShape) in cases {
            let a = Self.values(aShape.reduce(1, *), &random, specials: true), b = Self.values(bShape.reduce(1, *), &random, specials: true)
            let (mapped, shape) = try Broadcast.map(a, aShape, b, bShape, inputs) { $0 - $1 }
            #expect(shape == Broadcast.shape(aShape, bShape))
            #expect(Self.sameBits(mapped, Self.strided(a, aShape, b, bShape) { $0 - $1 }), "\(aShape) with \(bShape)")
        }
        #expect(Broadcast.isRepeatedRow([1, 5], of: [6, 5]))
        #expect(!Broadcast.isRepeatedRow([3, 1], of: [3, 4]))
        #expect(!Broadcast.isRepeatedRow([2, 1, 4], of: [2, 3, 4]))
    }

    @Test func repeatingRowStopsAtTheCountForAPartialLastRow() {
        #expect(Broadcast.repeatingRow(count: 7, row: 3) { i, j in i * 10 + j } == [0, 11, 22, 30, 41, 52, 60])
        #expect(Broadcast.repeatingRow(count: 0, row: 3) { i, _ in i } == [])
    }
}
