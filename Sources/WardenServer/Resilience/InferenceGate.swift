import HTTPTypes
import Hummingbird
import WardenServing

/// Everything between an inference request and the model's threads: the client's quota, the
/// request's deadline, a slot from admission, and the engine run bounded by that deadline.
struct InferenceGate: Sendable {
    let settings: ResilienceSettings
    let admission: Admission
    let engine: EngineRunner
    let quota: ClientQuota?
    let metrics: ResilienceMetrics

    init(settings: ResilienceSettings, metrics: ResilienceMetrics) {
        self.settings = settings
        self.metrics = metrics
        admission = Admission(settings: settings.admission, observer: metrics)
        engine = EngineRunner(threads: settings.admission.concurrency)
        quota = settings.clientQuota.map(ClientQuota.init(settings:))
        metrics.slots(total: settings.admission.concurrency)
    }

    /// Clients may shorten the deadline, never extend it: in milliseconds by `Warden-Timeout-Ms`,
    /// or by the `X-Envoy-Expected-Rq-Timeout-Ms` an Envoy gateway sets on what it forwards.
    func deadline(_ request: Request, arrival: ContinuousClock.Instant) throws -> ContinuousClock.Instant {
        var timeout = settings.inferDeadline
        for name in [HTTPField.Name.wardenTimeout, .envoyExpectedTimeout] {
            guard let text = request.headers[name] else { continue }
            guard let milliseconds = Int(text), milliseconds > 0 else {
                throw ServingFailure.badRequest(.invalidTimeout, "\(name) must be a positive number of milliseconds")
            }
            timeout = min(timeout, .milliseconds(milliseconds))
        }
        return arrival + timeout
    }

    /// Runs `body` in an inference slot, or refuses: 429 for a client over its quota, 503 with
    /// Retry-After when the server cannot serve the request in time, 504 when its deadline
    /// passes while it waits.
    func admit<T>(
        client: String?, deadline: ContinuousClock.Instant, _ body: (SlotLease) async throws -> T
    ) async throws -> T {
        if let quota, let client, let wait = quota.take(client) {
            metrics.throttled()
            var error = ServingFailure(.clientQuotaExceeded, "this client is over its request quota")
            error.retryAfterSeconds = Self.wholeSeconds(wait)
            throw error
        }
        let lease: SlotLease
        do {
            lease = try await RequestPhase.run("admission") { try await admission.acquire(deadline: deadline) }
        } catch let refused as Admission.Refused {
            if refused.reason == .deadlineExpiredInQueue { throw ServingFailure.deadlineExceeded }
            var error = ServingFailure(.overloaded, "the server is at capacity (\(refused.reason.rawValue)); retry later or elsewhere")
            error.retryAfterSeconds = Self.wholeSeconds(refused.retryAfter)
            throw error
        }
        defer { lease.release() }
        return try await body(lease)
    }

    /// Retry-After is in whole seconds: at least 1.
    static func wholeSeconds(_ duration: Duration) -> Int { max(1, Int(duration.seconds.rounded(.up))) }

    /// Whether readiness should be withheld: saturated for longer than configured.
    var isSaturatedTooLong: Bool {
        guard let limit = settings.unreadyWhenSaturatedFor else { return false }
        return admission.saturatedFor > limit
    }
}

extension HTTPField.Name {
    static let wardenTimeout = Self("Warden-Timeout-Ms")!
    static let envoyExpectedTimeout = Self("X-Envoy-Expected-Rq-Timeout-Ms")!
}
