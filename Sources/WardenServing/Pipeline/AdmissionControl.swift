/// Stage 2: the client's quota, then a slot from admission before the deadline. Refusals:
/// 429 for a client over its quota, 503 with Retry-After when the server cannot serve the
/// request in time, 504 when the deadline passes while it waits.
package struct AdmissionControl: Sendable {
    package let settings: ResilienceSettings
    package let admission: Admission
    package let engine: EngineRunner
    package let quota: ClientQuota?
    package let observer: any PipelineObserver

    package init(settings: ResilienceSettings, observer: any PipelineObserver & AdmissionObserver) {
        self.settings = settings
        self.observer = observer
        admission = Admission(settings: settings.admission, observer: observer)
        engine = EngineRunner(threads: settings.admission.concurrency)
        quota = settings.clientQuota.map(ClientQuota.init(settings:))
    }

    /// The request's deadline: the server's, shortened (never extended) by the client's.
    package func deadline(arrival: ContinuousClock.Instant, requested: Duration?) -> ContinuousClock.Instant {
        arrival + min(settings.inferDeadline, requested ?? settings.inferDeadline)
    }

    /// Runs `body` in an inference slot, or refuses.
    package func admit<T>(
        client: String?, deadline: ContinuousClock.Instant, _ body: (SlotLease) async throws(ServingFailure) -> T
    ) async throws(ServingFailure) -> T {
        if let quota, let client, let wait = quota.take(client) {
            observer.throttled()
            var error = ServingFailure(.clientQuotaExceeded, "this client is over its request quota")
            error.retryAfterSeconds = Self.wholeSeconds(wait)
            throw error
        }
        let lease: SlotLease
        do {
            lease = try await RequestPhase.run("admission") { try await admission.acquire(deadline: deadline) }
        } catch let refused as Admission.Refused {
            if refused.reason == .deadlineExpiredInQueue { throw ServingFailure.deadlineExceeded }
            var failure = ServingFailure(.overloaded, "the server is at capacity (\(refused.reason.rawValue)); retry later or elsewhere")
            failure.retryAfterSeconds = Self.wholeSeconds(refused.retryAfter)
            throw failure
        } catch {
            // Only cancellation reaches here: the client went away, or the server is stopping.
            throw ServingFailure(.shuttingDown, "the request was cancelled while it waited for a slot")
        }
        defer { lease.release() }
        return try await body(lease)
    }

    /// Retry-After is in whole seconds: at least 1.
    package static func wholeSeconds(_ duration: Duration) -> Int { max(1, Int(duration.seconds.rounded(.up))) }

    /// Whether readiness should be withheld: saturated for longer than configured.
    package var isSaturatedTooLong: Bool {
        guard let limit = settings.unreadyWhenSaturatedFor else { return false }
        return admission.saturatedFor > limit
    }
}
