import Synchronization

/// A circuit breaker for one outbound dependency. Closed: calls go through and consecutive
/// failures are counted. After `failureThreshold` of them it opens: calls fail at once, without
/// touching the dependency, for `openDuration`. Then it is half-open: one call is let through as
/// a probe; its success closes the breaker, its failure opens it again.
package final class CircuitBreaker: Sendable {
    package enum State: String, Sendable {
        case closed, open
        case halfOpen = "half_open"
    }

    package struct Settings: Sendable, Equatable {
        package var failureThreshold = 5
        package var openDuration: Duration = .seconds(5)

        package init(failureThreshold: Int = 5, openDuration: Duration = .seconds(5)) {
            self.failureThreshold = failureThreshold
            self.openDuration = openDuration
        }
    }

    /// Thrown instead of calling while the breaker is open (or its probe is out).
    package struct OpenError: Error, Sendable {}

    private struct Status {
        package var state = State.closed
        package var consecutiveFailures = 0
        package var openedAt = ContinuousClock.Instant.now
        package var probeInFlight = false
    }

    package let name: String
    package let settings: Settings
    private let status = Mutex(Status())
    private let onChange: @Sendable (State) -> Void

    package init(name: String, settings: Settings, onChange: @escaping @Sendable (State) -> Void = { _ in }) {
        self.name = name
        self.settings = settings
        self.onChange = onChange
        onChange(.closed)
    }

    package var state: State { status.withLock { $0.state } }

    /// Runs `call` unless the breaker is open; records its outcome.
    package func run<T>(_ call: () async throws -> T) async throws -> T {
        try admit()
        do {
            let result = try await call()
            record(success: true)
            return result
        } catch {
            record(success: false)
            throw error
        }
    }

    private func admit(now: ContinuousClock.Instant = .now) throws {
        let changed: State? = try status.withLock { status in
            switch status.state {
            case .closed: return nil
            case .open:
                guard now - status.openedAt >= settings.openDuration else { throw OpenError() }
                status.state = .halfOpen
                status.probeInFlight = true
                return .halfOpen
            case .halfOpen:
                guard !status.probeInFlight else { throw OpenError() }
                status.probeInFlight = true
                return nil
            }
        }
        if let changed { onChange(changed) }
    }

    private func record(success: Bool) {
        let changed: State? = status.withLock { status in
            status.probeInFlight = false
            if success {
                status.consecutiveFailures = 0
                guard status.state != .closed else { return nil }
                status.state = .closed
                return .closed
            }
            status.consecutiveFailures += 1
            guard status.state == .halfOpen || status.consecutiveFailures >= settings.failureThreshold else { return nil }
            status.openedAt = .now
            guard status.state != .open else { return nil }
            status.state = .open
            return .open
        }
        if let changed { onChange(changed) }
    }
}
