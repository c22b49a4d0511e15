/// ONNX Runtime's `batched_update_scores_inplace`, used by the linear and SVM operators: a
/// matrix of scores, `columns` per row, transformed in place. Rows of one score either stay
/// one score (only PROBIT applies) or expand to two columns.
enum BatchedScores {
    static func update(_ scores: [Float], columns: Int, transform: PostTransform, secondClass: SecondClass?) -> [Float] {
        if columns > 1 {
            var out = scores
            switch transform {
            case .none: break
            case .probit: for i in out.indices { out[i] = PostTransform.probit(out[i]) }
            case .logistic: for i in out.indices { out[i] = mlasLogistic(out[i]) }
            case .softmax, .softmaxZero:
                for start in stride(from: 0, to: out.count, by: columns) {
                    var row = Array(out[start..<(start + columns)])
                    if transform == .softmax { PostTransform.softmax(&row) } else { PostTransform.softmaxZero(&row) }
                    out.replaceSubrange(start..<(start + columns), with: row)
                }
            }
            return out
        }
        if transform == .probit { return scores.map(PostTransform.probit) }
        guard let secondClass else { return scores }
        return scores.flatMap { s -> [Float] in
            transform.writeScores([s], secondClass: secondClass == .none ? .complement : secondClass)
        }
    }

    /// MLAS's rational approximation of the logistic function, which ORT uses on score matrices.
    static func mlasLogistic(_ input: Float) -> Float {
        if input.isNaN { return input }
        let x = min(max(input, -18), 18)
        let x2 = x * x
        var p = x2 * Float(4.37031012579801e-11) + Float(1.15627324459942e-07)
        p = p * x2 + Float(6.08574864600143e-05)
        p = p * x2 + Float(8.51377133304701e-03)
        p = p * x2 + Float(2.48287947061529e-01)
        p = p * x
        var q = x2 * Float(6.10247389755681e-13) + Float(5.76102136993427e-09)
        q = q * x2 + Float(6.29106785017040e-06)
        q = q * x2 + Float(1.70198817374094e-03)
        q = q * x2 + Float(1.16817656904453e-01)
        q = q * x2 + Float(9.93151921023180e-01)
        return min(max(p / q + 0.5, 0), 1)
    }
}

/// Rows × features of a classifier or regressor input, converted to Float as ORT does.
struct FeatureMatrix {
    let values: [Float]
    let rows: Int
    let features: Int

    init(_ x: Tensor, _ inputs: KernelInputs) throws {
        guard x.rank == 1 || x.rank == 2 else { throw inputs.fail("input must be 1-D or 2-D, got shape \(x.shape)") }
        rows = x.rank == 1 ? 1 : x.shape[0]
        features = x.rank == 1 ? x.shape[0] : x.shape[1]
        switch x.storage {
        case let .float(v): values = v
        case let .double(v): values = v.map { Float($0) }
        case let .int32(v): values = v.map { Float($0) }
        case let .int64(v): values = v.map { Float($0) }
        default: throw inputs.fail("expected a numeric input, got \(x.elementType)")
        }
    }

    /// X · Wᵀ + bias, W given row-major as [outputs, features], accumulated over the features
    /// in order. (MLAS fuses each multiply-add; the difference is in the last bit, and a fused
    /// multiply-add here would be a libm call on baseline x86-64.)
    func product(weights: [Float], outputs: Int, bias: [Float]?) -> [Float] {
        var out = [Float](repeating: 0, count: rows * outputs)
        for r in 0..<rows {
            let base = r * features
            for o in 0..<outputs {
                let wBase = o * features
                var acc: Float = 0
                for f in 0..<features { acc += values[base &+ f] * weights[wBase &+ f] }
                out[r * outputs + o] = (bias?[o] ?? 0) + acc
            }
        }
        return out
    }
}
