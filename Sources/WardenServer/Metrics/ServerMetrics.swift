import Prometheus
import WardenServing

/// Warden's Prometheus metrics. Every label value comes from a closed set — route templates,
/// served model names and versions, status codes, stable error codes — never from a client's
/// text, so no request can grow the series count or put its data into a label.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let inFlight: Gauge
    let resilience: ResilienceMetrics
    let outbound: OutboundMetrics
    let revocation: RevocationMetrics
    let release: ReleaseMetrics
    let policy: PolicyMetrics

    /// Buckets fit for sub-millisecond work, up to the longest deadline.
    static let durationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    /// Methods kept as label (and log) values; any other token a client sends is "other".
    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "QUERY", "CONNECT"]

    static func methodLabel(_ method: String) -> String { knownMethods.contains(method) ? method : "other" }

    public init() {
        requestHandles = Self.makeRequestHandles(registry)
        inferenceHandles = Self.makeInferenceHandles(registry)
        resilience = ResilienceMetrics(registry: registry)
        outbound = OutboundMetrics(registry: registry)
        revocation = RevocationMetrics(registry: registry, outbound: outbound)
        release = ReleaseMetrics(registry: registry)
        policy = PolicyMetrics(registry: registry, outbound: outbound)
        inFlight = registry.makeGauge(
            descriptor: .init(
                namespace: "warden", subsystem: "http", metricName: "requests_in_flight", unitName: "",
                helpText: "Requests being handled on the serving listener."))
        registry.makeGauge(
            descriptor: .init(
                namespace: "warden", metricName: "build_info", unitName: "", helpText: "Warden's version; always 1."),
            labels: [("version", MetadataRoutes.serverVersion)]
        ).set(to: 1.0)
    }

    /// One finished request: counted by route, method, status and error code, and timed by
    /// route, model, version and status class; both by protocol (`http` for REST, `grpc`).
    /// A gRPC call's status is the HTTP status its failure code has in the catalogue.
    func request(
        route: String, method: String, status: Int, code: String?, model: String?, version: String?, duration: Duration,
        protocol wire: String = "http"
    ) {
        let handles = requestHandles(
            RequestKey(wire: wire, route: route, method: method, status: status, code: code, model: model, version: version))
        handles.requests.increment()
        handles.duration.record(duration)
    }

    /// The labels of one request's metrics.
    struct RequestKey: Hashable {
        let wire: String
        let route: String
        let method: String
        let status: Int
        let code: String?
        let model: String?
        let version: String?
    }

    private let requestHandles: MetricHandleCache<RequestKey, (requests: Counter, duration: DurationHistogram)>

    private static func makeRequestHandles(
        _ registry: PrometheusCollectorRegistry
    ) -> MetricHandleCache<RequestKey, (requests: Counter, duration: DurationHistogram)> {
        MetricHandleCache { key in
            let requests = registry.makeCounter(
                descriptor: .init(
                    namespace: "warden", subsystem: "http", metricName: "requests", unitName: "total",
                    helpText: "Requests answered, by protocol, route, method, status and stable error code (none when it succeeded)."),
                labels: [
                    ("protocol", key.wire), ("route", key.route), ("method", key.method), ("status", String(key.status)),
                    ("code", key.code ?? "none"),
                ])
            let duration = registry.makeDurationHistogram(
                descriptor: .init(
                    namespace: "warden", subsystem: "http", metricName: "request_duration", unitName: "seconds",
                    helpText: "Time from the request's arrival to its response, by protocol, route, model, version and status class."),
                labels: [
                    ("protocol", key.wire), ("route", key.route), ("model", key.model ?? ""), ("version", key.version ?? ""),
                    ("status_class", "\(key.status / 100)xx"),
                ],
                buckets: Self.durationBuckets)
            return (requests, duration)
        }
    }

    /// The engine's run alone, without decoding, contract checks or encoding.
    func inference(model: String, version: String, duration: Duration) {
        inferenceHandles(ModelVersion(model: model, version: version)).record(duration)
    }

    struct ModelVersion: Hashable {
        let model: String
        let version: String
    }

    private let inferenceHandles: MetricHandleCache<ModelVersion, DurationHistogram>

    private static func makeInferenceHandles(_ registry: PrometheusCollectorRegistry) -> MetricHandleCache<ModelVersion, DurationHistogram>
    {
        MetricHandleCache { key in
            registry.makeDurationHistogram(
                descriptor: .init(
                    namespace: "warden", subsystem: "inference", metricName: "duration", unitName: "seconds",
                    helpText: "Time the engine spent running the model, by model and version."),
                labels: [("model", key.model), ("version", key.version)],
                buckets: Self.durationBuckets)
        }
    }

    /// `warden_model_info{model,version,digest,signer} 1` for every served version.
    public func modelServed(model: String, version: String, digest: String, signer: String) {
        registry.makeGauge(
            descriptor: .init(
                namespace: "warden", subsystem: "model", metricName: "info", unitName: "",
                helpText: "A served model version: its artifact digest and signer identity; always 1."),
            labels: [("model", model), ("version", version), ("digest", digest), ("signer", signer)]
        ).set(to: 1.0)
    }

    /// `warden_model_ready{model,version}`: 1 while the version can answer, 0 while it cannot
    /// (loading, warm-up failed, revoked, no current revocation list, killed), and
    /// `warden_model_state{model,version,state}` naming which, set at each scrape.
    func modelReady(_ models: [ServedModel]) {
        for model in models {
            registry.makeGauge(
                descriptor: .init(
                    namespace: "warden", subsystem: "model", metricName: "ready", unitName: "",
                    helpText: "1 while the model version can answer requests, 0 while it cannot (see /v2/models for why)."),
                labels: [("model", model.name), ("version", model.version)]
            ).set(to: model.isReady ? 1.0 : 0.0)
            let availability = model.availability
            for state in ModelAvailability.allCases {
                registry.makeGauge(
                    descriptor: .init(
                        namespace: "warden", subsystem: "model", metricName: "state", unitName: "",
                        helpText: "1 for the state the model version is in (ready, loading, revoked, unproven, killed, failed), else 0."),
                    labels: [("model", model.name), ("version", model.version), ("state", state.rawValue)]
                ).set(to: state == availability ? 1.0 : 0.0)
            }
        }
    }

    /// Seconds until a TLS certificate expires (negative once it has).
    func certificateExpiry(certificate: String, seconds: Double) {
        registry.makeGauge(
            descriptor: .init(
                namespace: "warden", subsystem: "tls", metricName: "certificate_expiry", unitName: "seconds",
                helpText: "Seconds until the serving certificate, or the earliest certificate of the client trust bundle, expires."),
            labels: [("certificate", certificate)]
        ).set(to: seconds)
    }

    /// The exposition text: the registry, then the process's own metrics.
    public func exposition() -> [UInt8] {
        var buffer = registry.emitToBuffer()
        ProcessMetrics.current().emit(into: &buffer)
        return buffer
    }
}
