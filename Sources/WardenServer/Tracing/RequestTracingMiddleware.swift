import HTTPTypes
import Hummingbird
import Tracing
import WardenServing

/// Continues the caller's trace (W3C `traceparent`/`tracestate`) with a server span per
/// request. The span carries the route template, the method, the status, the model and version
/// that answered and the stable error code — never the path, the query, a header or the body.
struct RequestTracingMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext

    /// The share of new traces sampled, when a tracer exports them (nil: no tracer). A request
    /// that starts a trace and loses the draw makes no span at all: the tracer would make one
    /// and drop it, at the cost of a span object, ids and context per request.
    var rootSamplingRatio: Double?
    /// While the collector is unreachable, no new trace is started (see TelemetryReachability).
    var collector: TelemetryReachability?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let ratio = rootSamplingRatio, request.headers[Self.traceparent] == nil,
            collector?.allowsTracing == false || Double.random(in: 0..<1) >= ratio
        {
            return try await next(request, context)
        }
        var serviceContext = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(request.headers, into: &serviceContext, using: HTTPFieldsExtractor())
        let method = ServerMetrics.methodLabel(request.method.rawValue)
        let span = startSpan(method, context: serviceContext, ofKind: .server)
        defer { span.end() }
        var context = context
        if span.isRecording { context.trace = TraceIdentifiers(span.context) }
        let response = try await ServiceContext.withValue(span.context) { [context] in
            try await RequestPhase.$isTraced.withValue(span.isRecording) { try await next(request, context) }
        }
        let route = context.endpointPath ?? "unmatched"
        span.operationName = "\(method) \(route)"
        span.attributes["http.request.method"] = method
        span.attributes["http.route"] = route
        span.attributes["http.response.status_code"] = response.status.code
        span.attributes["warden.request_id"] = context.requestID
        if let model = context.outcome.model {
            span.attributes["warden.model"] = model.name
            span.attributes["warden.model_version"] = model.version
        }
        if let code = context.outcome.errorCode {
            span.attributes["error.type"] = code
            if response.status.code >= 500 { span.setStatus(SpanStatus(code: .error)) }
        }
        return response
    }
}

extension RequestTracingMiddleware {
    static let traceparent = HTTPField.Name("traceparent")!
}

/// The W3C ids of a span, read back through the tracer's own propagation (so this works with
/// any tracer that speaks `traceparent`).
struct TraceIdentifiers: Sendable, Equatable {
    let traceID: String
    let spanID: String

    init?(_ context: ServiceContext) {
        var fields = HTTPFields()
        InstrumentationSystem.instrument.inject(context, into: &fields, using: HTTPFieldsInjector())
        let parts = fields[HTTPField.Name("traceparent")!]?.split(separator: "-") ?? []
        guard parts.count == 4, parts[1].count == 32, parts[2].count == 16 else { return nil }
        traceID = String(parts[1])
        spanID = String(parts[2])
    }
}

/// Reads trace context from request headers.
struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from fields: HTTPFields) -> String? {
        HTTPField.Name(key).flatMap { fields[$0] }
    }
}

/// Writes trace context into outbound request headers.
struct HTTPFieldsInjector: Injector {
    func inject(_ value: String, forKey key: String, into fields: inout HTTPFields) {
        if let name = HTTPField.Name(key) { fields[name] = value }
    }
}
