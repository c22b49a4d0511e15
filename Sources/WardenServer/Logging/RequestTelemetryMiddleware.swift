import Hummingbird
import Logging
import WardenServing

/// After every request: one structured log line (see `RequestLogRecord`) and the request
/// metrics, from the same fields — so a stable error code appears in both.
struct RequestTelemetryMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext
    let logger: Logger
    let metrics: ServerMetrics
    /// Names of served models: a path's model name is logged only if it is one of them.
    let servedModels: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        metrics.inFlight.increment()
        defer { metrics.inFlight.decrement() }
        var response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        response.headers[.requestID] = context.requestID
        // The path's model name is the client's text: it is logged only when it names a served model.
        let answered = context.outcome.model
        let model = answered?.name ?? context.parameters.get("model").flatMap { servedModels.contains($0) ? $0 : nil }
        let record = RequestLogRecord(
            requestID: context.requestID,
            method: ServerMetrics.methodLabel(request.method.rawValue),
            route: context.endpointPath ?? "unmatched",
            model: model,
            version: answered?.version,
            status: response.status.code,
            latencyMilliseconds: elapsed.seconds * 1000,
            errorCode: context.outcome.errorCode, client: context.clientIdentity, traceID: context.trace?.traceID,
            spanID: context.trace?.spanID)
        logger.info("request", metadata: record.metadata)
        metrics.request(
            route: record.route, method: record.method, status: record.status, code: record.errorCode, model: record.model,
            version: record.version, duration: elapsed)
        return response
    }
}
