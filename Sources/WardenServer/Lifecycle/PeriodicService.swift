import ServiceLifecycle

/// Every poller Warden runs (TLS files, the redaction key, the request policy, the revocation
/// list, the collector's reachability): a tick now or after the first interval, then one per
/// interval. Graceful shutdown cancels the sleep at once, so no poller holds up the drain.
struct PeriodicService: Service {
    enum Start { case immediately, afterOneInterval }

    let interval: Duration
    let start: Start
    let tick: @Sendable () async -> Void

    init(every interval: Duration, start: Start = .afterOneInterval, tick: @escaping @Sendable () async -> Void) {
        self.interval = interval
        self.start = start
        self.tick = tick
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            if start == .immediately { await tick() }
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await tick()
            }
        }
    }
}
