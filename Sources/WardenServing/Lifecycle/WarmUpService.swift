import Logging
import ServiceLifecycle

/// Warms every model up once the listeners are bound, so readiness turns true only after
/// real inferences succeed and the ports answer. A model that fails warm-up stays not ready,
/// with the reason logged.
package struct WarmUpService: Service {
    package let state: ServerState
    package let startup: ListenerStartup
    package let logger: Logger
    /// Work that must finish before any model may turn ready: the first revocation check and
    /// kill-switch refresh, so a version revoked or killed at start never logs model_ready.
    package var beforeWarmUp: @Sendable () async -> Void = {}

    package func run() async throws {
        try await startup.waitUntilAllBound()
        await beforeWarmUp()
        defer { state.finishWarmUp() }
        for model in state.repository.models {
            if let reason = model.unavailableReason, model.isWithdrawn {
                logger.warning(
                    "model unavailable; not warmed up",
                    metadata: [
                        "event": "model_unavailable", "model": .string(model.name), "version": .string(model.version),
                        "reason": .string(reason),
                    ])
                continue
            }
            let clock = ContinuousClock()
            let start = clock.now
            do {
                let warnings = try model.warmUp()
                let elapsed = clock.now - start
                for warning in warnings {
                    logger.warning(
                        "model output differs from its declaration",
                        metadata: [
                            "event": "model_output_shape", "model": .string(model.name), "version": .string(model.version),
                            "reason": .string(warning),
                        ])
                }
                // Warmed up, but switched off by the kill switch: ready once it is switched on.
                if let reason = model.unavailableReason {
                    logger.warning(
                        "model warmed up but unavailable",
                        metadata: [
                            "event": "model_unavailable", "model": .string(model.name), "version": .string(model.version),
                            "reason": .string(reason),
                        ])
                    continue
                }
                logger.info(
                    "model ready",
                    metadata: [
                        "event": "model_ready", "model": .string(model.name), "version": .string(model.version),
                        "warmup_samples": .stringConvertible(max(model.contract.warmup.count, 1)),
                        "warmup_ms": .string(
                            String(format3: Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)),
                    ])
            } catch {
                model.recordWarmUpFailure("\(error)")
                logger.error(
                    "model warm-up failed; the server stays not ready",
                    metadata: [
                        "event": "model_warmup_failed", "model": .string(model.name), "version": .string(model.version),
                        "reason": .string("\(error)"),
                    ])
            }
        }
        state.finishWarmUp()
        if state.isReady { logger.info("ready", metadata: ["event": "server_ready", "readiness": .string(state.readiness.rawValue)]) }
    }

    package init(state: ServerState, startup: ListenerStartup, logger: Logger, beforeWarmUp: @escaping @Sendable () async -> Void = {}) {
        self.state = state
        self.startup = startup
        self.logger = logger
        self.beforeWarmUp = beforeWarmUp
    }
}

/// First to hear a shutdown signal: readiness turns false at once, then, after an optional
/// delay (for load balancers to notice), the listeners stop and in-flight requests finish.
package struct DrainService: Service {
    package let state: ServerState
    package let delay: Duration
    package let logger: Logger

    package func run() async throws {
        try? await gracefulShutdown()
        state.beginDraining()
        logger.info("draining: readiness is now false", metadata: ["event": "drain_started"])
        if delay > .zero { try? await Task.sleep(for: delay) }
    }

    package init(state: ServerState, delay: Duration, logger: Logger) {
        self.state = state
        self.delay = delay
        self.logger = logger
    }
}
