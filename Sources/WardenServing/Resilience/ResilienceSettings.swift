import WardenConfig

/// How the serving listener protects itself: admission (slots, queue, deadlines, quotas) and
/// connection hygiene. Defaults fit a pod with a few cores; every value is in `resilience:`.
public struct ResilienceSettings: Sendable, Equatable {
    package var admission = Admission.Settings.default
    /// The deadline of an inference request when the client sets none (or a later one).
    public var inferDeadline: Duration = .seconds(2)
    /// Per-client rate limit (429), off unless configured.
    package var clientQuota: ClientQuota.Settings?
    /// Readiness turns false after the server has been saturated this long, so the load
    /// balancer steers traffic to other replicas; nil keeps it ready.
    public var unreadyWhenSaturatedFor: Duration? = .seconds(10)
    package var connections = ConnectionLimits()

    public init() {}

    /// Reads the `resilience:` mapping.
    package mutating func read(_ map: inout StrictMapping) throws {
        admission.concurrency = try map.positiveInt("concurrency") ?? admission.concurrency
        admission.queueCapacity = try map.nonNegativeInt("queue_capacity") ?? admission.queueCapacity
        admission.maxQueueWait = try map.seconds("max_queue_wait_seconds") ?? admission.maxQueueWait
        inferDeadline = try map.seconds("infer_deadline_seconds") ?? inferDeadline
        guard inferDeadline > .zero else { throw ConfigurationError("resilience.infer_deadline_seconds must be above 0") }
        if let seconds = try map.seconds("unready_when_saturated_seconds") {
            unreadyWhenSaturatedFor = seconds == .zero ? nil : seconds
        }
        if var quota = try map.mapping("client_quota") {
            guard let rate = try quota.number("rate_per_second"), rate > 0 else {
                throw ConfigurationError("resilience.client_quota.rate_per_second must be a number above 0")
            }
            clientQuota = ClientQuota.Settings(ratePerSecond: rate, burst: Double(try quota.positiveInt("burst") ?? Int(rate.rounded(.up))))
            try quota.finish()
        }
        if var limits = try map.mapping("connections") {
            connections.maximumConnections = try limits.positiveInt("max_connections") ?? connections.maximumConnections
            connections.handshakeTimeout = try limits.seconds("handshake_timeout_seconds") ?? connections.handshakeTimeout
            connections.maximumUnauthenticatedPerSource =
                try limits.positiveInt("max_unauthenticated_per_source") ?? connections.maximumUnauthenticatedPerSource
            connections.headerTimeout = try limits.seconds("header_timeout_seconds") ?? connections.headerTimeout
            connections.bodyTimeout = try limits.seconds("body_timeout_seconds") ?? connections.bodyTimeout
            connections.idleTimeout = try limits.seconds("idle_timeout_seconds") ?? connections.idleTimeout
            connections.maximumRequestsPerConnection =
                try limits.positiveInt("max_requests_per_connection") ?? connections.maximumRequestsPerConnection
            try limits.finish()
        }
        try map.finish()
    }
}

/// Bounds on each connection of the serving listener, against slow and greedy clients.
package struct ConnectionLimits: Sendable, Equatable {
    /// Open connections. At the limit, a new connection evicts the oldest one that has not yet
    /// proven anything (no TLS handshake, no request head); with none to evict, it is closed.
    package var maximumConnections = 1024
    /// From a TLS connection's start to its completed handshake: silent or slow handshakes
    /// are cut off long before the header timeout.
    package var handshakeTimeout: Duration = .seconds(3)
    /// Connections one source address may hold open before they prove anything.
    package var maximumUnauthenticatedPerSource = 64
    /// From a connection's start to its first complete request head (slowloris).
    package var headerTimeout: Duration = .seconds(10)
    /// From a request head to the end of its body (slow body).
    package var bodyTimeout: Duration = .seconds(30)
    /// From a response's end to the next request head on a kept-alive connection.
    package var idleTimeout: Duration = .seconds(60)
    /// Requests on one connection; the last is answered with `Connection: close`.
    package var maximumRequestsPerConnection = 10_000

    /// The probe listener's: kubelet opens a connection per probe and asks one short question.
    package static let probe = ConnectionLimits(
        maximumConnections: 32, handshakeTimeout: .seconds(2), maximumUnauthenticatedPerSource: 16, headerTimeout: .seconds(2),
        bodyTimeout: .seconds(2), idleTimeout: .seconds(5), maximumRequestsPerConnection: 100)
}
