import GRPCCore
import Logging
import Tracing
import WardenServing

/// What every gRPC call gets before and after its handler, in the order REST's middleware
/// gives it: a request id, the client's SPIFFE ID, a server span continuing the caller's trace
/// (W3C `traceparent` in the metadata), deny-by-default authorization, then one log line and
/// one metric sample, labelled `grpc`. A refusal becomes its catalogue gRPC status.
struct GRPCCalls: Sendable {
    let identities: GRPCPeerIdentities
    /// nil on a plain listener (`--insecure-plaintext`): nobody has an identity there.
    let authorization: Authorization?
    let logger: Logger
    let metrics: ServerMetrics
    let servedModels: Set<String>
    let tracing: Bool

    static let service = "inference.GRPCInferenceService"

    func handle<Response: Sendable>(
        _ method: String, routeClass: Authorization.RouteClass, model: String?, _ metadata: Metadata, _ context: ServerContext,
        _ body: (GRPCCall) async throws -> Response
    ) async throws -> ServerResponse<Response> {
        let call = GRPCCall(
            requestID: RequestIdentifier.make(), route: "/\(Self.service)/\(method)",
            client: authorization == nil ? nil : identities.identity(ofPeer: context.remotePeer))
        metrics.inFlight.increment()
        defer { metrics.inFlight.decrement() }
        var serviceContext = ServiceContext.topLevel
        var span: (any Span)?
        if tracing {
            InstrumentationSystem.instrument.extract(metadata, into: &serviceContext, using: MetadataExtractor())
            span = startSpan(call.route, context: serviceContext, ofKind: .server)
        }
        defer { span?.end() }
        let outcome: Result<Response, ServingFailure>
        do {
            try authorize(call, routeClass: routeClass, model: model)
            if let span {
                outcome = .success(
                    try await ServiceContext.withValue(span.context) {
                        try await RequestPhase.$isTraced.withValue(span.isRecording) { try await body(call) }
                    })
            } else {
                outcome = .success(try await body(call))  // no task-local bindings to push when nothing traces
            }
        } catch {
            outcome = .failure(Self.failure(error))
        }
        let failure: ServingFailure? = if case let .failure(failure) = outcome { failure } else { nil }
        let status = failure?.status ?? 200
        let answered = call.outcome.model ?? failure?.answeredBy
        let named = answered?.name ?? model.flatMap { servedModels.contains($0) ? $0 : nil }
        let trace = span.flatMap { $0.isRecording ? TraceIdentifiers($0.context) : nil }
        let elapsed = ContinuousClock.now - call.arrival
        let record = RequestLogRecord(
            requestID: call.requestID, method: "POST", route: call.route, model: named, version: answered?.version, status: status,
            latencyMilliseconds: elapsed.seconds * 1000,
            errorCode: failure?.code.rawValue, client: call.client, traceID: trace?.traceID, spanID: trace?.spanID, wireProtocol: "grpc")
        logger.info("request", metadata: record.metadata)
        metrics.request(
            route: call.route, method: "POST", status: status, code: record.errorCode, model: named, version: answered?.version,
            duration: elapsed, protocol: "grpc")
        if let span {
            span.attributes["rpc.system"] = "grpc"
            span.attributes["rpc.service"] = Self.service
            span.attributes["rpc.method"] = method
            span.attributes["warden.request_id"] = call.requestID
            if let answered {
                span.attributes["warden.model"] = answered.name
                span.attributes["warden.model_version"] = answered.version
            }
            if let failure {
                span.attributes["error.type"] = failure.code.rawValue
                span.attributes["rpc.grpc.status_code"] = failure.code.grpcStatus.rawValue
                if failure.status >= 500 { span.setStatus(SpanStatus(code: .error)) }
            } else {
                span.attributes["rpc.grpc.status_code"] = 0
            }
        }
        switch outcome {
        case let .success(message):
            // The request id in the initial metadata, the version in the trailers: each field
            // costs HPACK work on every call, so none is sent twice. (A refusal is trailers only:
            // `rpcError` carries the version there, and the id is added.)
            var trailing: Metadata = [:]
            if let answered {
                trailing.addString(answered.name, forKey: "warden-model")
                trailing.addString(answered.version, forKey: "warden-model-version")
            }
            return ServerResponse(message: message, metadata: ["x-request-id": .string(call.requestID)], trailingMetadata: trailing)
        case let .failure(failure):
            var error = failure.rpcError
            error.metadata.replaceOrAddString(call.requestID, forKey: "x-request-id")
            throw error
        }
    }

    /// Whether the client may ask for explanations of `model` (route class `explain`).
    func mayExplain(_ call: GRPCCall, model: String) -> Bool {
        guard let authorization else { return true }
        guard let text = call.client, let id = try? SPIFFEID(parsing: text) else { return false }
        return authorization.allows(id, routeClass: .explain, model: model)
    }

    private func authorize(_ call: GRPCCall, routeClass: Authorization.RouteClass, model: String?) throws {
        guard let authorization else { return }
        try RequestPhase.run("authz.identity") {
            guard let text = call.client, let id = try? SPIFFEID(parsing: text),
                authorization.allows(id, routeClass: routeClass, model: model)
            else {
                throw ServingFailure(.identityNotAllowed, "this client identity may not call this method")
            }
        }
    }

    /// Anything a handler throws, as a catalogue failure: unexpected errors are internal and
    /// keep their detail out of the answer.
    static func failure(_ error: any Error) -> ServingFailure {
        if let failure = error as? ServingFailure { return failure }
        var failure = ServingFailure(.internalError, "internal error")
        failure.internalDetail = "\(error)"
        return failure
    }
}

/// One gRPC call as the handlers see it.
struct GRPCCall: Sendable {
    let requestID: String
    /// `/inference.GRPCInferenceService/ModelInfer`: the route label of logs and metrics.
    let route: String
    let client: String?
    let arrival = ContinuousClock.now
    let outcome = RequestOutcome()
}

/// Reads trace context from gRPC metadata.
struct MetadataExtractor: Extractor {
    func extract(key: String, from metadata: Metadata) -> String? { metadata.firstString(key) }
}

extension Metadata {
    /// The first string value of `key`, matched in lower case as HTTP/2 sends header names.
    func firstString(_ key: String) -> String? {
        self[stringValues: key.lowercased()].first(where: { _ in true })
    }
}
