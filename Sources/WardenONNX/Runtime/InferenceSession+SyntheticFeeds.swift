extension InferenceSession {
    /// Deterministic inputs shaped from the model's declaration: symbolic dimensions become
    /// `batch`, fixed ones are kept — a warm-up must send what the model accepts. The fuzzer
    /// caps them with `maxDimension`, since a fuzzed model may declare any size.
    public func syntheticFeeds(batch: Int = 1, maxDimension: Int = .max) -> [String: Value] {
        var feeds: [String: Value] = [:]
        for input in inputs {
            guard case let .tensor(type) = input.kind else { continue }
            let shape = (input.shape ?? [.fixed(batch)]).map { dimension -> Int in
                if case let .fixed(n) = dimension { return min(n, maxDimension) }
                return batch
            }
            let count = shape.reduce(1, *)
            let storage: TensorStorage
            switch type {
            case .float: storage = .float((0..<count).map { Float($0 % 7) - 3 })
            case .double: storage = .double((0..<count).map { Double($0 % 7) - 3 })
            case .uint8: storage = .uint8((0..<count).map { UInt8($0 % 5) })
            case .int8: storage = .int8((0..<count).map { Int8($0 % 5) })
            case .float16: storage = .float16((0..<count).map { Float16($0 % 7) - 3 })
            case .int32: storage = .int32((0..<count).map { Int32($0 % 5) })
            case .int64: storage = .int64((0..<count).map { Int64($0 % 5) })
            case .bool: storage = .bool((0..<count).map { $0 % 2 == 0 })
            case .string: storage = .string((0..<count).map { "v\($0 % 3)" })
            }
            feeds[input.name] = .tensor(Tensor(shape: shape, storage: storage))
        }
        return feeds
    }
}
