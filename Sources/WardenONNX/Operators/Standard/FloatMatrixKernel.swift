/// The float32 matrix product behind Gemm and MatMul: row-major C[m,n] = A[m,k] × B[k,n].
///
/// A register-blocked kernel: a 4-row × 8-column tile of C lives in eight SIMD4 accumulators
/// while p runs over k, so each step is two loads of B, four broadcasts of A and sixteen vector
/// operations, with no load or store of C. (The i-k-j loop before it loaded and stored a row of
/// C for every multiply-add, and ran at a quarter of onnxruntime's speed at batch 1024.) The
/// tile fits the sixteen registers of the SSE2 baseline: eight accumulators, two of B, one of A.
///
/// Every element of C is still summed in the order p = 0, 1, …, k-1, one multiply and one add
/// each, as the plain loop summed it: the blocking changes the speed, not the answer.
enum FloatMatrixKernel {
    static let tileRows = 4
    static let tileColumns = 8

    static func multiply(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, m: Int, k: Int, n: Int) -> [Float] {
        precondition(m >= 0 && k >= 0 && n >= 0 && a.count >= m * k && b.count >= k * n)
        guard m > 0, n > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: m * n) { out, initialized in
            guard let a = a.baseAddress, let b = b.baseAddress, let c = out.baseAddress else {
                // k == 0 (A or B empty): every sum is empty.
                out.initialize(repeating: 0)
                initialized = m * n
                return
            }
            let fullColumns = n - n % tileColumns
            var row = 0
            while row + tileRows <= m {
                var column = 0
                while column < fullColumns {
                    tile4x8(a + row * k, b + column, c + row * n + column, k: k, n: n)
                    column += tileColumns
                }
                edgeColumns4(a + row * k, b, c + row * n, from: fullColumns, k: k, n: n)
                row += tileRows
            }
            while row < m {
                var column = 0
                while column < fullColumns {
                    tile1x8(a + row * k, b + column, c + row * n + column, k: k, n: n)
                    column += tileColumns
                }
                edgeColumns(a + row * k, b, c + row * n, from: fullColumns, k: k, n: n)
                row += 1
            }
            initialized = m * n
        }
    }

    /// C[0..<4, 0..<8] for A's rows at `a` (stride k) and B's columns at `b` (stride n).
    @inline(__always)
    private static func tile4x8(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, k: Int, n: Int
    ) {
        var c00 = SIMD4<Float>(), c01 = SIMD4<Float>(), c10 = SIMD4<Float>(), c11 = SIMD4<Float>()
        var c20 = SIMD4<Float>(), c21 = SIMD4<Float>(), c30 = SIMD4<Float>(), c31 = SIMD4<Float>()
        let a1 = a + k, a2 = a + 2 * k, a3 = a + 3 * k
        var bRow = b
        for p in 0..<k {
            let b0 = load(bRow), b1 = load(bRow + 4)
            let x0 = SIMD4(repeating: a[p]), x1 = SIMD4(repeating: a1[p])
            c00 = c00 + x0 * b0
            c01 = c01 + x0 * b1
            c10 = c10 + x1 * b0
            c11 = c11 + x1 * b1
            let x2 = SIMD4(repeating: a2[p]), x3 = SIMD4(repeating: a3[p])
            c20 = c20 + x2 * b0
            c21 = c21 + x2 * b1
            c30 = c30 + x3 * b0
            c31 = c31 + x3 * b1
            bRow += n
        }
        store(c00, c)
        store(c01, c + 4)
        store(c10, c + n)
        store(c11, c + n + 4)
        store(c20, c + 2 * n)
        store(c21, c + 2 * n + 4)
        store(c30, c + 3 * n)
        store(c31, c + 3 * n + 4)
    }

    /// One row's 8 columns: the rows left under a full tile, and batch-1 requests.
    @inline(__always)
    private static func tile1x8(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, k: Int, n: Int
    ) {
        var c0 = SIMD4<Float>(), c1 = SIMD4<Float>()
        var bRow = b
        for p in 0..<k {
            let x = SIMD4(repeating: a[p])
            c0 = c0 + x * load(bRow)
            c1 = c1 + x * load(bRow + 4)
            bRow += n
        }
        store(c0, c)
        store(c1, c + 4)
    }

    /// Four rows' columns from `start` to n (fewer than eight; a one-column output layer is all
    /// edge): four independent sums, so the adds do not wait on each other's latency.
    @inline(__always)
    private static func edgeColumns4(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, from start: Int, k: Int, n: Int
    ) {
        let a1 = a + k, a2 = a + 2 * k, a3 = a + 3 * k
        for column in start..<n {
            var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
            var index = column
            for p in 0..<k {
                let y = b[index]
                s0 = s0 + a[p] * y
                s1 = s1 + a1[p] * y
                s2 = s2 + a2[p] * y
                s3 = s3 + a3[p] * y
                index += n
            }
            c[column] = s0
            c[n + column] = s1
            c[2 * n + column] = s2
            c[3 * n + column] = s3
        }
    }

    /// One row's columns from `start` to n (fewer than eight), one dot product each.
    @inline(__always)
    private static func edgeColumns(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, from start: Int, k: Int, n: Int
    ) {
        for column in start..<n {
            var sum: Float = 0
            var index = column
            for p in 0..<k {
                sum = sum + a[p] * b[index]
                index += n
            }
            c[column] = sum
        }
    }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    private static func store(_ value: SIMD4<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD4<Float>.self)
    }
}
