import ServiceLifecycle

/// Every poller Warden runs (TLS files, the redaction key, the request policy, the revocation
/// list, the collector's reachability): a tick now or after the first interval, then one per
/// interval. Graceful shutdown cancels the sleep at once, so no poller holds up the drain.
package struct PeriodicService: Service {
    package enum Start { case immediately, afterOneInterval }

    package let interval: Duration
    package let start: Start
    package let tick: @Sendable () async -> Void

    package init(every interval: Duration, start: Start = .afterOneInterval, tick: @escaping @Sendable () async -> Void) {
        self.interval = interval
        self.start = start
        self.tick = tick
    }

    package func run() async throws {
        try? await cancelWhenGracefulShutdown {
            if start == .immediately { await tick() }
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await tick()
            }
        }
    }
}
