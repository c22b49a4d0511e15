import Synchronization
import Testing

@testable import WardenServer
@testable import WardenServing

/// The breaker's states with real calls: closed counts consecutive failures, open fails fast,
/// half-open lets one probe through.
@Suite struct CircuitBreakerTests {
    struct Down: Error {}

    final class Flag: Sendable {
        let value = Mutex(false)
    }

    final class Transitions: Sendable {
        let seen = Mutex<[CircuitBreaker.State]>([])
    }

    static func fail(_ breaker: CircuitBreaker) async -> (any Error)? {
        do {
            try await breaker.run { throw Down() }
            return nil
        } catch {
            return error
        }
    }

    @Test func opensAfterTheThresholdAndFailsFast() async throws {
        let transitions = Transitions()
        let breaker = CircuitBreaker(name: "test", settings: .init(failureThreshold: 3, openDuration: .milliseconds(100))) { state in
            transitions.seen.withLock { $0.append(state) }
        }
        #expect(await Self.fail(breaker) is Down)
        try await breaker.run {}  // a success resets the count
        for _ in 0..<2 { #expect(await Self.fail(breaker) is Down) }
        #expect(breaker.state == .closed)
        #expect(await Self.fail(breaker) is Down)
        #expect(breaker.state == .open)
        let calls = Mutex(0)
        await #expect(throws: CircuitBreaker.OpenError.self) { try await breaker.run { calls.withLock { $0 += 1 } } }
        #expect(calls.withLock { $0 } == 0, "an open breaker does not call the dependency")

        try await Task.sleep(for: .milliseconds(120))
        #expect(await Self.fail(breaker) is Down, "the half-open probe reaches the dependency")
        #expect(breaker.state == .open, "a failed probe opens the breaker again")
        try await Task.sleep(for: .milliseconds(120))
        try await breaker.run {}
        #expect(breaker.state == .closed)
        #expect(transitions.seen.withLock { $0 } == [.closed, .open, .halfOpen, .open, .halfOpen, .closed])
    }

    @Test func halfOpenLetsOneProbeThrough() async throws {
        let breaker = CircuitBreaker(name: "test", settings: .init(failureThreshold: 1, openDuration: .milliseconds(50)))
        _ = await Self.fail(breaker)
        try await Task.sleep(for: .milliseconds(60))
        let probing = Flag()
        let release = Flag()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await breaker.run {
                    probing.value.withLock { $0 = true }
                    while !release.value.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
                }
            }
            while !probing.value.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
            await #expect(throws: CircuitBreaker.OpenError.self) { try await breaker.run {} }
            release.value.withLock { $0 = true }
            try await group.waitForAll()
        }
        #expect(breaker.state == .closed)
    }
}
