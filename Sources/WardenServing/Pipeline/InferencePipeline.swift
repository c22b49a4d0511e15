import Logging
import WardenONNX

/// The inference path, whichever protocol brought the request: select the version (once) →
/// admit → decode → features → input contract → engine → output contract → redact. Each stage
/// is a type with its own tests; this one composes them, times them for the statistics, and
/// gives each outcome to the canary analysis. Every refusal is a ServingFailure naming, once a
/// version was chosen, the version that refused.
public struct InferencePipeline: Sendable {
    package let selection: VersionSelection
    package let admission: AdmissionControl
    package let features: FeatureLookup
    package let inputContract = InputContractCheck()
    package let engine: EngineStage
    package let outputContract = OutputContractCheck()
    package let redaction: Redaction
    package let explanation: ExplanationStage
    package let observer: any PipelineObserver

    package init(
        selection: VersionSelection, admission: AdmissionControl, features: FeatureLookup, redactor: OutputRedactor,
        observer: any PipelineObserver
    ) {
        self.selection = selection
        self.admission = admission
        self.features = features
        self.engine = EngineStage(engine: admission.engine, observer: observer)
        self.redaction = Redaction(redactor: redactor)
        self.explanation = ExplanationStage(engine: admission.engine)
        self.observer = observer
    }

    public func run(_ call: InferenceCall) async throws(ServingFailure) -> InferenceResult {
        let routed = call.version == nil ? selection.routed(model: call.model, releaseClient: call.releaseClient, header: call.header) : nil
        let asker = VersionSelection.Asker(client: call.client, requestID: call.requestID, route: "infer", method: "POST")
        let model = try selection.select(model: call.model, pinned: call.version, routed: routed, asker: asker)
        if call.route == .predict, model.contract.featureStore != nil {
            throw ServingFailure.badRequest(
                .unsupportedProtocol, "this model's inputs come from a feature store: send an OIP v2 request with the entity key")
        }
        do {
            let deadline = admission.deadline(arrival: call.arrival, requested: try call.requestedTimeout.get())
            try Self.checkClientStayed(call)
            let (outputs, requested) = try await admission.admit(client: call.client, deadline: deadline) {
                lease throws(ServingFailure) in
                try Self.checkClientStayed(call)
                return try await infer(call, on: model, deadline: deadline, lease: lease)
            }
            record(model, status: 200, call)
            return InferenceResult(model: model.identity, outputs: outputs, requested: requested)
        } catch var error {
            if error.status == 504 { observer.timedOut(route: call.routeLabel) }
            if error.countsAgainstVersion { record(model, status: error.status, call) }
            model.statistics.recordFailure(total: .now - call.arrival)
            error.answeredBy = model.identity
            throw error
        }
    }

    /// A request whose client has left (it waited in the listener's backlog, or in the queue,
    /// past the client's patience) gets no model work: after an overload, a backlog of them
    /// would otherwise hold the slots while new clients wait.
    private static func checkClientStayed(_ call: InferenceCall) throws(ServingFailure) {
        guard call.clientGone() else { return }
        var failure = ServingFailure(.clientClosedRequest, "the client closed its connection before the model ran")
        failure.countsAgainstVersion = false
        throw failure
    }

    /// The stages inside the admission slot.
    private func infer(
        _ call: InferenceCall, on model: ServedModel, deadline: ContinuousClock.Instant, lease: SlotLease
    ) async throws(ServingFailure) -> (outputs: [String: Value], requested: [String]) {
        let admitted = ContinuousClock.now
        var stages = StageTimes(queue: admitted - call.arrival)
        let contract = model.contract
        let decoded = try await RequestPhase.run("decode") { () async throws(ServingFailure) -> DecodedInputs in
            try await ServingFailure.catching { try await call.decode(contract) }
        }
        // Reading the body may have read the client's close too.
        try Self.checkClientStayed(call)
        let effective = decoded.timeout.map { min(deadline, call.arrival + $0) } ?? deadline
        do {
            let feeds = try await features.resolve(decoded.feeds, for: contract, deadline: effective)
            let checking = ContinuousClock.now
            stages.input = checking - admitted
            try inputContract.check(feeds, against: model.enforcement)
            let requested = decoded.outputs ?? contract.outputs.map(\.name)
            // With an output schema every output is computed, so every one can be checked.
            let computed = model.enforcement.hasOutputSchema ? contract.outputs.map(\.name) : requested
            let inferring = ContinuousClock.now
            stages.input += inferring - checking
            stages.rows = EngineStage.rows(feeds)
            let results = try await engine.run(model, feeds, rows: stages.rows, outputs: computed, deadline: effective, lease: lease)
            let finishing = ContinuousClock.now
            stages.infer = finishing - inferring
            try outputContract.check(results, against: model.enforcement)
            var answer = redaction.apply(results, plan: model.enforcement.redactions, keeping: requested)
            var answered = requested
            if let explain = decoded.explain {
                let explained = try await explanation.run(
                    model, feeds, request: explain, mayExplain: call.mayExplain(), deadline: effective, lease: lease)
                answer.merge(explained) { kept, _ in kept }
                answered += ExplanationOutputs.ordered(explained)
            }
            stages.output = .now - finishing
            model.statistics.recordSuccess(total: .now - call.arrival, stages: stages)
            return (answer, answered)
        } catch var error where error.status == 504 && effective < deadline {
            // The client's own `timeout` ran out first: not the version's failure, or any
            // client could fail a canary by asking for a microsecond.
            error.countsAgainstVersion = false
            throw error
        }
    }

    /// Gives the outcome, with its latency since arrival, to the canary analysis.
    private func record(_ model: ServedModel, status: Int, _ call: InferenceCall) {
        selection.releases?.record(
            model: model.name, version: model.version, status: status, latency: .now - call.arrival, client: call.client)
    }
}
