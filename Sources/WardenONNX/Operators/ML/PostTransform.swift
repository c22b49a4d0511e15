/// The score transforms of the ai.onnx.ml classifiers and regressors, with ONNX Runtime's
/// exact numerics: these are computed in Float whatever the model's type, and the inverse
/// normal CDF is ORT's Winitzki approximation, not an exact probit.
enum PostTransform: Sendable, Equatable {
    case none, logistic, softmax, softmaxZero, probit

    /// Parses the string form (v1/v3 operators). Unknown names are refused, where ORT would
    /// silently read them as PROBIT.
    init(name: String, _ context: NodeContext) throws {
        switch name {
        case "NONE": self = .none
        case "LOGISTIC": self = .logistic
        case "SOFTMAX": self = .softmax
        case "SOFTMAX_ZERO": self = .softmaxZero
        case "PROBIT": self = .probit
        default: throw context.unsupported("post_transform '\(name)'")
        }
    }

    static func logistic(_ value: Float) -> Float {
        let v = 1 / (1 + expf(-abs(value)))
        return value < 0 ? 1 - v : v
    }

    static func inverseErf(_ input: Float) -> Float {
        let sign: Float = input < 0 ? -1 : 1
        let x = (1 - input) * (1 + input)
        let lg = logf(x)
        let v = 2 / (Float.pi * 0.147) + 0.5 * lg
        let v2 = 1 / Float(0.147) * lg
        let v3 = -v + (v * v - v2).squareRoot()
        return sign * v3.squareRoot()
    }

    static func probit(_ value: Float) -> Float {
        Float(2).squareRoot() * inverseErf(value * 2 - 1)
    }

    static func softmax(_ values: inout [Float]) {
        var maximum = -Float.greatestFiniteMagnitude
        for v in values where v > maximum { maximum = v }
        var sum: Float = 0
        for index in values.indices {
            values[index] = expf(values[index] - maximum)
            sum += values[index]
        }
        for index in values.indices { values[index] /= sum }
    }

    /// Softmax in which exact zeros stay zero (they are scaled, not exponentiated).
    static func softmaxZero(_ values: inout [Float]) {
        var maximum = -Float.greatestFiniteMagnitude
        for v in values where v > maximum { maximum = v }
        let scale = expf(-maximum)
        var sum: Float = 0
        for index in values.indices {
            let v = values[index]
            if v > 0.0000001 || v < -0.0000001 {
                values[index] = expf(v - maximum)
                sum += values[index]
            } else {
                values[index] = v * scale
            }
        }
        for index in values.indices { values[index] /= sum }
    }

    /// Transforms one row of two or more scores.
    func applyToRow(_ row: inout [Float]) {
        switch self {
        case .none: break
        case .logistic: for i in row.indices { row[i] = Self.logistic(row[i]) }
        case .probit: for i in row.indices { row[i] = Self.probit(row[i]) }
        case .softmax: Self.softmax(&row)
        case .softmaxZero: Self.softmaxZero(&row)
        }
    }
}

/// How a single binary score is expanded into two columns (ORT's `add_second_class`).
enum SecondClass: Sendable {
    /// No expansion.
    case none
    /// [1 - s, s] (all weights non-negative: s is a probability), or [σ(-s), σ(s)] under LOGISTIC.
    case complement
    /// [-s, s], or [σ(-s), σ(s)] under LOGISTIC (weights of both signs: s is a margin).
    case negate
}

extension PostTransform {
    /// ORT's `write_scores`: `row` holds one score or more; returns the values to write.
    func writeScores(_ row: [Float], secondClass: SecondClass) -> [Float] {
        if row.count >= 2 {
            var out = row
            applyToRow(&out)
            return out
        }
        guard let s = row.first else { return row }
        if self == .probit { return [Self.probit(s)] }
        switch secondClass {
        case .complement, .negate:
            if self == .logistic { return [Self.logistic(-s), Self.logistic(s)] }
            return secondClass == .complement ? [1 - s, s] : [-s, s]
        case .none: return [s]
        }
    }
}
