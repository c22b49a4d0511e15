import Synchronization

/// A circuit breaker for one outbound dependency. Closed: calls go through and consecutive
/// failures are counted. After `failureThreshold` of them it opens: calls fail at once, without
/// touching the dependency, for `openDuration`. Then it is half-open: one call is let through as
/// a probe; its success closes the breaker, its failure opens it again.
final class CircuitBreaker: Sendable {
    enum State: String, Sendable {
        case closed, open
        case halfOpen = "half_open"
    }

    struct Settings: Sendable, Equatable {
        var failureThreshold = 5
        var openDuration: Duration = .seconds(5)
    }

    /// Thrown instead of calling while the breaker is open (or its probe is out).
    struct OpenError: Error, Sendable {}

    private struct Status {
        var state = State.closed
        var consecutiveFailures = 0
        var openedAt = ContinuousClock.Instant.now
        var probeInFlight = false
    }

    let name: String
    let settings: Settings
    private let status = Mutex(Status())
    private let onChange: @Sendable (State) -> Void

    init(name: String, settings: Settings, onChange: @escaping @Sendable (State) -> Void = { _ in }) {
        self.name = name
        self.settings = settings
        self.onChange = onChange
        onChange(.closed)
    }

    var state: State { status.withLock { $0.state } }

    /// Runs `call` unless the breaker is open; records its outcome.
    func run<T>(_ call: () async throws -> T) async throws -> T {
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
