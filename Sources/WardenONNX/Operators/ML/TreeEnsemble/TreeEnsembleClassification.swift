/// Finalisation of TreeEnsembleClassifier scores into a label and class scores, following
/// ONNX Runtime's rules, including its binary conventions:
/// - weights on one class only ("binary case"): that single score s is the positive class's
///   score, expanded to [1-s, s] when all weights are non-negative (s is a probability) or to
///   [-s, s] / [σ(-s), σ(s)] under LOGISTIC when they are not (s is a margin);
/// - two weighted classes: the label is class 1 when its score is positive.
struct TreeClassification: Sendable {
    let classCount: Int
    let baseValues: [Double]
    let transform: PostTransform
    let binaryCase: Bool
    let weightsAreAllPositive: Bool

    init(definition: TreeEnsembleDefinition, classCount: Int, baseValues: [Double], transform: PostTransform) {
        self.classCount = classCount
        self.baseValues = baseValues
        self.transform = transform
        let weightedClasses = Set(definition.weights.map(\.target))
        binaryCase = classCount == 2 && weightedClasses.count == 1
        weightsAreAllPositive = definition.weights.allSatisfy { $0.value >= 0 }
    }

    /// The chosen label: a position in the class labels, or (where ORT does so) the literal
    /// value 1 or 0 whatever the labels are.
    enum Label: Equatable {
        case position(Int)
        case literal(Int)
    }

    /// Returns the label and the row of class scores.
    func finalize<T: FloatElement>(_ scores: TreeScores<T>, row: Int) -> (label: Label, scores: [Float]) {
        let offset = row * classCount
        var score = Array(scores.score[offset..<(offset + classCount)])
        var has = Array(scores.has[offset..<(offset + classCount)])
        if classCount > 2 {
            for k in 0..<min(baseValues.count, classCount) {
                score[k] = has[k] ? score[k] + T(baseValues[k]) : T(baseValues[k])
                has[k] = true
            }
            var best = -1
            for j in 0..<classCount where has[j] && (best == -1 || score[j] > score[best]) { best = j }
            let row = (0..<classCount).map { has[$0] ? Float(score[$0]) : 0 }
            return (.position(max(best, 0)), transform.writeScores(row, secondClass: .none))
        }
        if classCount == 1 {
            var s = score[0]
            if baseValues.count == 1 { s += T(baseValues[0]) } else if baseValues.count == 2 { s += T(baseValues[1]) }
            return (.literal(s > 0 ? 1 : 0), transform.writeScores([Float(s)], secondClass: .none))
        }
        // Two classes.
        var secondClass = SecondClass.none
        var keepSecond = true
        switch baseValues.count {
        case 2:
            if has[1] {
                // As ORT: class 1's own sum is replaced by base[1] + class 0's sum.
                score[1] = T(baseValues[1]) + score[0]
                score[0] = -score[1]
            } else {
                score[1] += T(baseValues[1])
                score[0] += T(baseValues[0])
            }
        case 1:
            score[0] += T(baseValues[0])
            keepSecond = has[1]
        case 0:
            secondClass = .negate
            keepSecond = has[1]
        default: break
        }
        let positive: T = (keepSecond && has[1]) ? score[1] : (has[0] ? score[0] : 0)
        let label: Label
        if binaryCase {
            if weightsAreAllPositive {
                secondClass = .complement
                label = .position(positive > 0.5 ? 1 : 0)
            } else {
                secondClass = .negate
                label = .position(positive > 0 ? 1 : 0)
            }
        } else {
            label = .literal(positive > 0 ? 1 : 0)
        }
        let values =
            keepSecond
            ? [has[0] ? Float(score[0]) : 0, has[1] ? Float(score[1]) : 0]
            : [has[0] ? Float(score[0]) : 0]
        var out = transform.writeScores(values, secondClass: secondClass)
        if out.count == 1 { out.append(0) }  // PROBIT of one score: ORT leaves the second column unwritten
        return (label, out)
    }
}
