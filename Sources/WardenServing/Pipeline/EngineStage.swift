import WardenONNX

/// Stage 5: the engine's run, inline when the model is cheap for this many rows, else on the
/// engine's own threads bounded by the deadline (504 once it passes). The engine's errors are
/// about the request's values, so they are 400s with the engine's code.
package struct EngineStage: Sendable {
    package let engine: EngineRunner
    package let observer: any PipelineObserver

    package init(engine: EngineRunner, observer: any PipelineObserver) {
        self.engine = engine
        self.observer = observer
    }

    /// The number of rows in a request: the first dimension of its first tensor.
    package static func rows(_ feeds: [String: Value]) -> Int {
        feeds.values.lazy.compactMap { value -> Int? in
            if case let .tensor(tensor) = value { tensor.shape.first } else { nil }
        }.first ?? 1
    }

    /// `rows`: the request's row count (`rows(_:)`), which decides inline or pooled and is the
    /// engine cost's unit.
    package func run(
        _ model: ServedModel, _ feeds: [String: Value], rows: Int, outputs: [String], deadline: ContinuousClock.Instant,
        lease: SlotLease
    ) async throws(ServingFailure) -> [String: Value] {
        try await RequestPhase.run("infer") { () async throws(ServingFailure) -> [String: Value] in
            if model.engineCost.runsInline(rows: rows) {
                let output = try run(model, feeds, outputs: outputs, rows: rows)
                guard ContinuousClock.now <= deadline else { throw ServingFailure.deadlineExceeded }
                return output
            }
            return try await ServingFailure.catching {
                try await engine.run(deadline: deadline, lease: lease) { try run(model, feeds, outputs: outputs, rows: rows) }
            }
        }
    }

    private func run(_ model: ServedModel, _ feeds: [String: Value], outputs: [String], rows: Int) throws(ServingFailure) -> [String: Value]
    {
        let start = ContinuousClock.now
        defer {
            let duration = ContinuousClock.now - start
            observer.engineRan(model: model.name, version: model.version, duration: duration)
            model.engineCost.record(rows: rows, duration: duration)
        }
        do {
            return try model.session.run(feeds, outputNames: outputs)
        } catch let error as InferenceError {
            throw ServingFailure(ServingFailure.Code(rawValue: error.code) ?? .invalidInput, error.description)
        } catch {
            var failure = ServingFailure(.internalError, "internal error")
            failure.internalDetail = "\(error)"
            throw failure
        }
    }
}
