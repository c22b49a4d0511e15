import Foundation
import Hummingbird
import NIOCore
import WardenJSON
import WardenONNX
import WardenServing

/// Open Inference Protocol v2 inference and KServe v1 prediction.
struct InferenceRoutes {
    let state: ServerState
    let limits: ServingLimits
    let redactor: OutputRedactor
    let metrics: ServerMetrics
    let gate: InferenceGate
    let featureProxy: FeatureProxy?

    func register(on router: Router<WardenRequestContext>) {
        router.post("/v2/models/{model}/infer") { request, context in
            try await infer(request, context, version: nil)
        }
        router.post("/v2/models/{model}/versions/{version}/infer") { request, context in
            try await infer(request, context, version: context.parameters.get("version"))
        }
        router.post("/v1/models/{model}:predict") { request, context in
            try await predict(request, context)
        }
        for path in ["/v2/models/{model}/infer", "/v2/models/{model}/versions/{version}/infer", "/v1/models/{model}:predict"] {
            MethodNotAllowed.register(RouterPath(path), allowing: [.post], on: router)
        }
    }

    /// The model a request names, ready to answer. Without a version in the path, the release
    /// plan's choice (ReleaseRoutingMiddleware), else the highest version that can serve.
    func model(_ context: WardenRequestContext, version: String?) throws -> ServedModel {
        // While draining, requests still reaching the server are answered: readiness is what
        // steers new traffic away, and the listener closes after the drain delay.
        let name = context.parameters.get("model") ?? ""
        let chosen = version ?? context.routedVersion
        let model = try state.repository.servedModel(name, version: chosen)
        if model.isWithdrawn {
            var error = ServingFailure(.modelRevoked, "this model version is revoked or not proven unrevoked")
            error.retryAfterSeconds = 60
            throw error
        }
        if model.isKilled {
            throw ServingFailure(.versionDisabled, "this model version is switched off")
        }
        guard model.isReady else { throw ServingFailure.notReady }
        return model
    }

    /// Checks Content-Type and Content-Encoding, then reads the body within the size limit.
    func body(_ request: Request, binaryAllowed: Bool) async throws -> (bytes: [UInt8], jsonLength: Int?) {
        if let encoding = request.headers[.contentEncoding], encoding.lowercased() != "identity" {
            throw ServingFailure(.unsupportedContentEncoding, "only identity Content-Encoding is supported")
        }
        var jsonLength: Int?
        if binaryAllowed, let header = request.headers[.inferenceHeaderContentLength] {
            guard let length = Int(header), length >= 0 else {
                throw ServingFailure.badRequest(.invalidHeaderLength, "Inference-Header-Content-Length must be a non-negative integer")
            }
            jsonLength = length
        }
        let mediaType = request.headers[.contentType].map { $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased() }
        switch mediaType {
        case "application/json"?: break
        case "application/octet-stream"? where jsonLength != nil: break
        case nil where !limits.requireContentType: break
        default: throw ServingFailure.unsupportedMediaType(request.headers[.contentType])
        }
        // Refused before a byte of the body is read; a length too large even for an integer is too large.
        if let declared = request.headers[.contentLength], !declared.isEmpty, declared.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            Int(declared).map({ $0 > limits.maxBodyBytes }) ?? true
        {
            throw ServingFailure.payloadTooLarge(limit: limits.maxBodyBytes)
        }
        let buffer = try await request.collectBody(limit: limits.maxBodyBytes)
        return (Array(buffer.readableBytesView), jsonLength)
    }

    func infer(_ request: Request, _ context: WardenRequestContext, version: String?) async throws -> Response {
        let arrival = ContinuousClock.now
        let model = try model(context, version: version)
        let deadline = try gate.deadline(request, arrival: arrival)
        return try await timed(context, model, since: arrival) {
            try await gate.admit(client: context.clientIdentity, deadline: deadline) { lease in
                let admitted = ContinuousClock.now
                var stages = StageTimes(queue: admitted - arrival)
                let (bytes, jsonLength) = try await body(request, binaryAllowed: true)
                let decoded = try RequestPhase.run("decode") {
                    try InferenceRequest(body: bytes, jsonLength: jsonLength, model: model, limits: limits.json)
                }
                let effective = decoded.timeout.map { min(deadline, arrival + $0) } ?? deadline
                let results: [String: Value]
                do {
                    let feeds = try await withFeatures(model, decoded.feeds, deadline: effective)
                    stages.input = .now - admitted
                    results = try await runInContract(
                        model, feeds, requested: decoded.outputs.map(\.name), deadline: effective, lease: lease, stages: &stages)
                } catch var error as ServingFailure where error.status == 504 && effective < deadline {
                    // The client's own `timeout` ran out first: not the version's failure, or any
                    // client could fail a canary by asking for a microsecond.
                    error.countsAgainstVersion = false
                    throw error
                }
                let encoding = ContinuousClock.now
                let response = try RequestPhase.run("encode") {
                    InferenceResponse(
                        model: model, requestID: decoded.id, outputs: decoded.outputs.filter { results[$0.name] != nil }, results: results)
                }
                stages.output += .now - encoding
                model.statistics.recordSuccess(total: .now - arrival, stages: stages)
                var headers = modelHeaders(model, context)
                if let jsonLength = response.jsonLength {
                    headers[.inferenceHeaderContentLength] = String(jsonLength)
                    headers[.contentType] = "application/octet-stream"
                } else {
                    headers[.contentType] = "application/json"
                }
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: response.body)))
            }
        }
    }

    func predict(_ request: Request, _ context: WardenRequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        let model = try model(context, version: nil)
        guard model.contract.featureStore == nil else {
            throw ServingFailure.badRequest(
                .unsupportedProtocol, "this model's inputs come from a feature store: send an OIP v2 request with the entity key")
        }
        let deadline = try gate.deadline(request, arrival: arrival)
        return try await timed(context, model, since: arrival) {
            try await gate.admit(client: context.clientIdentity, deadline: deadline) { lease in
                let admitted = ContinuousClock.now
                var stages = StageTimes(queue: admitted - arrival)
                let (bytes, _) = try await body(request, binaryAllowed: false)
                let feeds = try RequestPhase.run("decode") { try KServeV1.feeds(body: bytes, model: model, limits: limits.json) }
                stages.input = .now - admitted
                let names = model.contract.outputs.map(\.name)
                let results = try await runInContract(model, feeds, requested: names, deadline: deadline, lease: lease, stages: &stages)
                var headers = modelHeaders(model, context)
                headers[.contentType] = "application/json"
                let encoding = ContinuousClock.now
                let body = try RequestPhase.run("encode") { KServeV1.predictions(results, outputs: names.filter { results[$0] != nil }) }
                stages.output += .now - encoding
                model.statistics.recordSuccess(total: .now - arrival, stages: stages)
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
            }
        }
    }

    /// For a model with a feature store: the entity keys of the request replaced by the
    /// features the proxy looks up for them.
    func withFeatures(_ model: ServedModel, _ feeds: [String: Value], deadline: ContinuousClock.Instant) async throws -> [String: Value] {
        guard let store = model.contract.featureStore else { return feeds }
        guard let featureProxy else { throw ServingFailure(.internalError, "internal error") }
        guard case let .tensor(keys)? = feeds[store.entity], case let .string(values) = keys.storage, keys.rank <= 2,
            keys.shape.dropFirst().allSatisfy({ $0 == 1 })
        else {
            throw ServingFailure.badRequest(.invalidEntityKeys, "input '\(store.entity)' must hold one string key per row")
        }
        var merged = feeds
        merged[store.entity] = nil
        let fetched = try await RequestPhase.run("features") {
            try await featureProxy.inputs(for: store, keys: values, specs: model.contract.inputs, deadline: deadline)
        }
        merged.merge(fetched) { _, fetched in fetched }
        return merged
    }

    /// Runs the request, counting timeouts, and gives its outcome (latency from `start`, the
    /// request's arrival) to the canary analysis.
    func timed(
        _ context: WardenRequestContext, _ model: ServedModel, since start: ContinuousClock.Instant, _ body: () async throws -> Response
    ) async throws -> Response {
        let client = context.clientIdentity
        do {
            let response = try await body()
            record(model, status: response.status.code, client: client, since: start)
            return response
        } catch var error as ServingFailure {
            if error.status == 504 { gate.metrics.timedOut(route: context.endpointPath ?? "") }
            if error.countsAgainstVersion { record(model, status: error.status, client: client, since: start) }
            model.statistics.recordFailure(total: .now - start)
            error.answeredBy = (model.name, model.version, model.digest)
            throw error
        } catch {
            record(model, status: 500, client: client, since: start)
            model.statistics.recordFailure(total: .now - start)
            throw error
        }
    }

    func record(_ model: ServedModel, status: Int, client: String?, since start: ContinuousClock.Instant) {
        state.releases?.record(model: model.name, version: model.version, status: status, latency: .now - start, client: client)
    }

    /// The contract around the engine: every input row checked before it runs, every output
    /// row checked after (so all outputs are computed when there is an output schema), then
    /// the redactions. Returns the requested outputs that survive redaction.
    func runInContract(
        _ model: ServedModel, _ feeds: [String: Value], requested: [String], deadline: ContinuousClock.Instant, lease: SlotLease,
        stages: inout StageTimes
    ) async throws -> [String: Value] {
        let contract = model.enforcement
        let checking = ContinuousClock.now
        try RequestPhase.run("contract.input") { try contract.checkInputs(feeds) }
        let outputs = contract.hasOutputSchema ? model.contract.outputs.map(\.name) : requested
        let rows =
            feeds.values.lazy.compactMap { value -> Int? in
                if case let .tensor(tensor) = value { tensor.shape.first } else { nil }
            }.first ?? 1
        let inferring = ContinuousClock.now
        stages.input += inferring - checking
        stages.rows = rows
        var results = try await RequestPhase.run("infer") {
            if model.engineCost.runsInline(rows: rows) {
                let output = try run(model, feeds, outputs: outputs, rows: rows)
                guard ContinuousClock.now <= deadline else { throw ServingFailure.deadlineExceeded }
                return output
            }
            return try await gate.engine.run(deadline: deadline, lease: lease) { try run(model, feeds, outputs: outputs, rows: rows) }
        }
        let finishing = ContinuousClock.now
        stages.infer = finishing - inferring
        try RequestPhase.run("contract.output") { try contract.checkOutputs(results) }
        redactor.apply(contract.redactions, to: &results)
        stages.output = .now - finishing
        let wanted = Set(requested)
        return results.filter { wanted.contains($0.key) }
    }

    /// Runs the engine. Its errors are about the request's values, so they are 400s.
    func run(_ model: ServedModel, _ feeds: [String: Value], outputs: [String], rows: Int) throws -> [String: Value] {
        let start = ContinuousClock.now
        defer {
            let duration = ContinuousClock.now - start
            metrics.inference(model: model.name, version: model.version, duration: duration)
            model.engineCost.record(rows: rows, duration: duration)
        }
        do {
            return try model.session.run(feeds, outputNames: outputs)
        } catch let error as InferenceError {
            throw ServingFailure(ServingFailure.Code(rawValue: error.code) ?? .invalidInput, error.description)
        }
    }

    func modelHeaders(_ model: ServedModel, _ context: WardenRequestContext) -> HTTPFields {
        var headers = HTTPFields()
        headers[.requestID] = context.requestID
        headers[.wardenModel] = model.name
        headers[.wardenModelVersion] = model.version
        if !model.digest.isEmpty { headers[.wardenModelDigest] = model.digest }
        return headers
    }
}
