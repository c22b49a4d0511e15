/// Elementwise maps as plain indexed loops over buffers, which the compiler vectorises;
/// `Array.map` appends through an iterator and does not.
enum DenseMap {
    @inline(__always)
    static func map<A, R>(_ a: [A], _ body: (A) -> R) -> [R] {
        a.withUnsafeBufferPointer { a in
            [R](unsafeUninitializedCapacity: a.count) { out, initialized in
                for index in 0..<a.count { (out.baseAddress! + index).initialize(to: body(a[index])) }
                initialized = a.count
            }
        }
    }

    /// `body` of the elements at the same index; `a` and `b` have the same count.
    @inline(__always)
    static func zip<A, B, R>(_ a: [A], _ b: [B], _ body: (A, B) -> R) -> [R] {
        precondition(a.count == b.count)
        return a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                [R](unsafeUninitializedCapacity: a.count) { out, initialized in
                    for index in 0..<a.count { (out.baseAddress! + index).initialize(to: body(a[index], b[index])) }
                    initialized = a.count
                }
            }
        }
    }
}
