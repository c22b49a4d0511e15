import WardenONNX

/// Stage 7, on request: the explanation of the answer, computed by the served model itself on
/// the engine's threads within the request's deadline. Refused (nothing computed) for a client
/// without the `explain` route class, a version that has no explainer, or an explained output
/// the contract redacts, since its attributions would reveal it.
package struct ExplanationStage: Sendable {
    package let engine: EngineRunner

    package init(engine: EngineRunner) { self.engine = engine }

    package func run(
        _ model: ServedModel, _ feeds: [String: Value], request: ExplainRequest, mayExplain: Bool, deadline: ContinuousClock.Instant,
        lease: SlotLease
    ) async throws(ServingFailure) -> [String: Value] {
        guard mayExplain else {
            throw ServingFailure(.identityNotAllowed, "this client may not ask for explanations (route class explain)")
        }
        let explainer: ModelExplainer
        switch model.explainer {
        case let .success(found): explainer = found
        case let .failure(reason): throw ServingFailure(.notExplainable, "this version cannot be explained: \(reason)")
        }
        guard model.enforcement.redactions.actions[explainer.scoreOutput] == nil else {
            throw ServingFailure(
                .notExplainable, "output '\(explainer.scoreOutput)' is redacted by the contract; its explanation would reveal it")
        }
        let explanation = try await RequestPhase.run("explain") { () async throws(ServingFailure) -> Explanation in
            try await ServingFailure.catching { try await engine.run(deadline: deadline, lease: lease) { try explainer.explain(feeds) } }
        }
        let redacted = model.contract.explanations?.redactedFeatures ?? []
        return ExplanationOutputs.make(explanation, explainer: explainer, redacted: redacted, topK: request.topK)
    }
}

/// The explanation as extra outputs: `<output>__attributions` (FP64, [batch, features], or
/// [batch, targets, features] for several targets), `<output>__base_value` (FP64, [batch] or
/// [batch, targets]) and `reason_codes` (BYTES, [batch, k]: `feature:+0.1234`, largest effect
/// first, for the row's predicted target; redacted features are never named).
package enum ExplanationOutputs {
    package static func names(for output: String) -> (attributions: String, baseValue: String, reasonCodes: String) {
        ("\(output)__attributions", "\(output)__base_value", "reason_codes")
    }

    /// The explanation's output names in answer order: attributions, base value, reason codes.
    package static func ordered(_ outputs: [String: Value]) -> [String] {
        let rank = { (name: String) in name.hasSuffix("__attributions") ? 0 : name.hasSuffix("__base_value") ? 1 : 2 }
        return outputs.keys.sorted { rank($0) < rank($1) }
    }

    package static func make(_ explanation: Explanation, explainer: ModelExplainer, redacted: Set<String>, topK: Int) -> [String: Value] {
        let (rows, targets, features) = (explanation.rows, explanation.targets, explanation.features)
        let names = names(for: explainer.scoreOutput)
        let attributionShape = targets == 1 ? [rows, features] : [rows, targets, features]
        let baseShape = targets == 1 ? [rows] : [rows, targets]
        let bases = (0..<rows).flatMap { _ in explanation.baseValues }
        let namable = explainer.features.indices.filter { !redacted.contains(explainer.features[$0]) }
        let k = min(topK, namable.count)
        var codes: [String] = []
        codes.reserveCapacity(rows * k)
        for row in 0..<rows {
            let target = predictedTarget(explanation, row: row)
            let ranked = namable.sorted {
                abs(explanation.attribution(row: row, target: target, feature: $0))
                    > abs(explanation.attribution(row: row, target: target, feature: $1))
            }
            for feature in ranked.prefix(k) {
                let value = explanation.attribution(row: row, target: target, feature: feature)
                codes.append("\(explainer.features[feature]):\(value >= 0 ? "+" : "")\(value)")
            }
        }
        return [
            names.attributions: .tensor(.double(explanation.attributions, shape: attributionShape)),
            names.baseValue: .tensor(.double(bases, shape: baseShape)),
            names.reasonCodes: .tensor(.string(codes, shape: [rows, k])),
        ]
    }

    /// The target whose margin is highest for the row (the only one for a single target).
    static func predictedTarget(_ explanation: Explanation, row: Int) -> Int {
        guard explanation.targets > 1 else { return 0 }
        var best = 0
        var bestMargin = -Double.infinity
        for target in 0..<explanation.targets {
            var margin = explanation.baseValues[target]
            for feature in 0..<explanation.features { margin += explanation.attribution(row: row, target: target, feature: feature) }
            if margin > bestMargin { (best, bestMargin) = (target, margin) }
        }
        return best
    }
}
