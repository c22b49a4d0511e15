/// A libsvm one-vs-one classifier (or a liblinear one when there are no support vectors),
/// with ONNX Runtime's voting, Platt scaling and pairwise coupling.
struct SVMClassifierModel: Sendable {
    let kernel: SVMOperators.KernelFunction
    let classCount: Int
    let vectorsPerClass: [Int]
    let starts: [Int]
    let supportVectors: [Float]
    let coefficients: [Float]
    let rho: [Float]
    let probA: [Float]
    let probB: [Float]
    let transform: PostTransform
    let features: Int
    let weightsAreAllPositive: Bool
    /// Support vector machine proper (true) or liblinear (no support vectors).
    let isSVC: Bool

    var vectorCount: Int { supportVectors.count / max(features, 1) }
    var classifierCount: Int { classCount * (classCount - 1) / 2 }
    var hasProbabilities: Bool { !probA.isEmpty }

    var scoreColumns: Int {
        if !isSVC || hasProbabilities { return classCount }
        return classCount > 2 ? classifierCount : 2
    }

    init(_ a: NodeAttributes, classCount: Int, _ context: NodeContext) throws {
        self.classCount = classCount
        vectorsPerClass = (try a.ints("vectors_per_class") ?? []).map { Int($0) }
        supportVectors = try a.floats("support_vectors") ?? []
        coefficients = try a.required(try a.floats("coefficients"), "coefficients")
        rho = try a.required(try a.floats("rho"), "rho")
        probA = try a.floats("prob_a") ?? []
        probB = try a.floats("prob_b") ?? []
        transform = try PostTransform(name: try a.string("post_transform", default: "NONE"), context)
        let total = vectorsPerClass.reduce(0, +)
        isSVC = total > 0
        // Read (and checked) in both modes; liblinear models always use the linear kernel.
        let declared = try SVMOperators.KernelFunction(a, context)
        kernel = isSVC ? declared : SVMOperators.KernelFunction(linear: ())
        var starts: [Int] = []
        var running = 0
        for count in vectorsPerClass { starts.append(running); running += count }
        self.starts = starts
        weightsAreAllPositive = coefficients.allSatisfy { $0 >= 0 }
        guard probA.count == probB.count else { throw context.invalid("prob_a and prob_b differ in length") }
        guard !coefficients.isEmpty, !rho.isEmpty, classCount >= 1 else { throw context.invalid("coefficients and rho must not be empty") }
        if isSVC {
            guard vectorsPerClass.count == classCount, supportVectors.count % total == 0,
                coefficients.count == (classCount - 1) * total, rho.count >= classCount * (classCount - 1) / 2
            else { throw context.invalid("support vectors, coefficients and rho do not fit \(classCount) classes") }
            features = supportVectors.count / total
            guard probA.isEmpty || probA.count >= classCount * (classCount - 1) / 2 else {
                throw context.invalid("prob_a needs one value per class pair")
            }
        } else {
            guard coefficients.count % classCount == 0 else { throw context.invalid("coefficients do not split into classes") }
            features = coefficients.count / classCount
        }
    }

    /// Label position and the row of scores for one input row.
    func evaluate(_ row: ArraySlice<Float>) -> (Int, [Float]) {
        if !isSVC {
            var scores = (0..<classCount).map { c in kernel(row, coefficients[(c * features)..<((c + 1) * features)]) + rho[0] }
            var best = 0
            for k in 1..<max(classCount, 1) where scores[k] > scores[best] { best = k }
            let maxWeight = scores.isEmpty ? 0 : scores[best]
            scores = BatchedScores.update(scores, columns: classCount, transform: transform, secondClass: nil)
            return (binaryLabel(best, maxWeight: maxWeight), scores)
        }
        let total = vectorCount
        let kernels = (0..<total).map { v in kernel(row, supportVectors[(v * features)..<((v + 1) * features)]) }
        var votes = [Int](repeating: 0, count: classCount)
        var pairwise: [Float] = []
        pairwise.reserveCapacity(classifierCount)
        var index = 0
        for i in 0..<max(classCount - 1, 0) {
            for j in (i + 1)..<classCount {
                // Float products accumulated in Double, as ORT does.
                var sum: Double = 0
                for m in 0..<vectorsPerClass[i] {
                    sum += Double(coefficients[(j - 1) * total + starts[i] + m] * kernels[starts[i] + m])
                }
                for m in 0..<vectorsPerClass[j] {
                    sum += Double(coefficients[i * total + starts[j] + m] * kernels[starts[j] + m])
                }
                sum += Double(rho[index])
                pairwise.append(Float(sum))
                votes[sum > 0 ? i : j] += 1
                index += 1
            }
        }
        var best = 0
        for k in 1..<max(classCount, 1) where votes[k] > votes[best] { best = k }
        if hasProbabilities {
            var probabilities = coupledProbabilities(pairwise)
            probabilities = BatchedScores.update(probabilities, columns: classCount, transform: transform, secondClass: nil)
            return (best, probabilities)
        }
        if classCount <= 2 {
            let s = pairwise.first ?? 0
            let scores = BatchedScores.update(
                [s], columns: 1, transform: transform, secondClass: transform == .none ? .negate : .complement)
            return (binaryLabel(best, maxWeight: 0), scores.count == 1 ? scores + [0] : scores)
        }
        return (best, BatchedScores.update(pairwise, columns: classifierCount, transform: transform, secondClass: nil))
    }

    private func binaryLabel(_ best: Int, maxWeight: Float) -> Int {
        guard classCount == 2, !hasProbabilities else { return best }
        if weightsAreAllPositive && maxWeight >= 0.5 { return 1 }
        if maxWeight > 0 && !weightsAreAllPositive { return 1 }
        return best
    }

    /// Platt-scaled pairwise probabilities coupled into class probabilities (libsvm's
    /// `multiclass_probability`, in Float as ORT computes it).
    private func coupledProbabilities(_ pairwise: [Float]) -> [Float] {
        let k = classCount
        var r = [Float](repeating: 0, count: k * k)
        var index = 0
        for i in 0..<max(k - 1, 0) {
            for j in (i + 1)..<k {
                let v = 1 - PostTransform.logistic(pairwise[index] * probA[index] + probB[index])
                let clamped = min(max(v, 1e-7), 1 - 1e-7)
                r[i * k + j] = clamped
                r[j * k + i] = 1 - clamped
                index += 1
            }
        }
        var q = [Float](repeating: 0, count: k * k)
        var p = [Float](repeating: 1 / Float(k), count: k)
        for i in 0..<k {
            for j in 0..<i {
                q[i * k + i] += r[j * k + i] * r[j * k + i]
                q[i * k + j] = q[j * k + i]
            }
            for j in (i + 1)..<max(k, i + 1) {
                q[i * k + i] += r[j * k + i] * r[j * k + i]
                q[i * k + j] = -r[j * k + i] * r[i * k + j]
            }
        }
        var qp = [Float](repeating: 0, count: k)
        let epsilon = 0.005 / Float(k)
        for _ in 0..<100 {
            var pqp: Float = 0
            for i in 0..<k {
                qp[i] = 0
                for j in 0..<k { qp[i] += q[i * k + j] * p[j] }
                pqp += p[i] * qp[i]
            }
            var maxError: Float = 0
            for i in 0..<k { let error = abs(qp[i] - pqp); if error > maxError { maxError = error } }
            if maxError < epsilon { break }
            for i in 0..<k {
                let diff = (-qp[i] + pqp) / q[i * k + i]
                p[i] += diff
                pqp = (pqp + diff * (diff * q[i * k + i] + 2 * qp[i])) / (1 + diff) / (1 + diff)
                for j in 0..<k {
                    qp[j] = (qp[j] + diff * q[i * k + j]) / (1 + diff)
                    p[j] /= (1 + diff)
                }
            }
        }
        return p
    }
}
