import NIOCore
import Synchronization

/// Admission control for model work: a fixed number of slots (sized to the cores), a bounded
/// FIFO queue in front of them, and a maximum queue wait. A request that cannot be served in
/// time is refused at once — queue full, or a predicted wait that would overrun its deadline —
/// so the requests that are admitted keep their latency and the rest learn fast (503 with
/// Retry-After) that they should go elsewhere.
package final class Admission: Sendable {
    package struct Settings: Sendable, Equatable {
        /// Requests doing model work at once (decode, contract, engine, encode).
        package var concurrency: Int
        /// Requests waiting for a slot; one more is refused.
        package var queueCapacity: Int
        /// Longest a request waits for a slot before it is refused.
        package var maxQueueWait: Duration

        /// A slot per core, and room for bursts: 16 waiting per slot, none for longer than
        /// 250 ms. A latency-critical deployment lowers both to about one service time.
        package static var `default`: Settings {
            let cores = max(1, System.coreCount)
            return Settings(concurrency: cores, queueCapacity: 16 * cores, maxQueueWait: .milliseconds(250))
        }

        package init(concurrency: Int, queueCapacity: Int, maxQueueWait: Duration) {
            self.concurrency = concurrency
            self.queueCapacity = queueCapacity
            self.maxQueueWait = maxQueueWait
        }
    }

    /// Why a request was not admitted.
    package enum Refusal: String, Sendable {
        case queueFull = "queue_full"
        case predictedWaitOverQueueLimit = "predicted_wait_over_queue_limit"
        case predictedWaitOverDeadline = "predicted_wait_over_deadline"
        case queueWaitExceeded = "queue_wait_exceeded"
        case deadlineExpiredInQueue = "deadline_expired_in_queue"
    }

    package struct Refused: Error, Sendable {
        package let reason: Refusal
        /// When a retry may succeed, for the Retry-After header.
        package let retryAfter: Duration
    }

    private struct Waiter {
        package let id: UInt64
        package let continuation: CheckedContinuation<ContinuousClock.Instant, any Error>
        package var timer: Task<Void, Never>?
    }

    private struct State {
        package var busy = 0
        package var queue: [Waiter] = []
        package var nextID: UInt64 = 0
        /// Moving average of how long a slot is held, and of its deviation, in seconds.
        package var serviceSeconds = 0.001
        package var serviceDeviation = 0.0

        /// A slot's expected hold time, on the long side (mean plus two deviations): a request
        /// queued on a hopeful guess would wait out the maximum and be refused late.
        package var conservativeService: Duration { .seconds(serviceSeconds + 2 * serviceDeviation) }
        /// Since when every slot has been busy with requests waiting or refused.
        package var saturatedSince: ContinuousClock.Instant?
        /// When each busy slot was taken: how far along its work is.
        package var slotStarts: [ContinuousClock.Instant] = []
        /// When a request was last refused (see `capacity`).
        package var lastRefusal: ContinuousClock.Instant?

        /// How long the request at `position` in the queue will wait: until the busy slots
        /// free up in turn (each expected to take `service` from its start), then a service
        /// time per full round of slots ahead of it.
        package func predictedWait(position: Int, service: Duration, now: ContinuousClock.Instant) -> Duration {
            guard !slotStarts.isEmpty else { return .zero }
            let remaining = slotStarts.map { max(.zero, service - (now - $0)) }.sorted()
            return remaining[position % remaining.count] + service * (position / remaining.count)
        }
    }

    package let settings: Settings
    private let state = Mutex(State())
    private let observer: AdmissionObserver?

    package init(settings: Settings, observer: AdmissionObserver? = nil) {
        self.settings = settings
        self.observer = observer
    }

    /// A slot, after waiting in the queue if needed; throws `Refused` when the request cannot
    /// get one before `deadline` (or the maximum queue wait). The caller releases the lease.
    package func acquire(deadline: ContinuousClock.Instant) async throws -> SlotLease {
        let now = ContinuousClock.now
        enum Decision { case admitted, queued(UInt64, limit: ContinuousClock.Instant, deadlineFirst: Bool), refused(Refused) }
        let decision: Decision = state.withLock { state in
            if state.busy < settings.concurrency, state.queue.isEmpty {
                state.busy += 1
                state.slotStarts.append(now)
                return .admitted
            }
            state.saturatedSince = state.saturatedSince ?? now
            let service = state.conservativeService
            let predictedWait = state.predictedWait(position: state.queue.count, service: service, now: now)
            let retry = predictedWait + service
            guard state.queue.count < settings.queueCapacity else { return .refused(Refused(reason: .queueFull, retryAfter: retry)) }
            // Refused now rather than after waiting: a refusal should cost the client nothing.
            guard predictedWait <= settings.maxQueueWait else {
                return .refused(Refused(reason: .predictedWaitOverQueueLimit, retryAfter: retry))
            }
            // The wait for a slot, plus this request's own work, must fit before its deadline.
            guard now + predictedWait + service <= deadline else {
                return .refused(Refused(reason: .predictedWaitOverDeadline, retryAfter: retry))
            }
            state.nextID += 1
            let queueLimit = now + settings.maxQueueWait
            return .queued(state.nextID, limit: min(queueLimit, deadline), deadlineFirst: deadline < queueLimit)
        }
        switch decision {
        case .admitted:
            observer?.admitted(wait: .zero)
            return SlotLease(admission: self, acquired: now)
        case let .refused(refused):
            state.withLock { $0.lastRefusal = now }
            observer?.refused(refused.reason)
            throw refused
        case let .queued(id, limit, deadlineFirst):
            let acquired = try await waitInQueue(id: id, limit: limit, deadlineFirst: deadlineFirst)
            observer?.admitted(wait: acquired - now)
            return SlotLease(admission: self, acquired: acquired)
        }
    }

    /// Waits for a slot; returns when it was handed over.
    private func waitInQueue(id: UInt64, limit: ContinuousClock.Instant, deadlineFirst: Bool) async throws -> ContinuousClock.Instant {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ContinuousClock.Instant, any Error>) in
                let depth = state.withLock { state in
                    state.queue.append(Waiter(id: id, continuation: continuation))
                    return state.queue.count
                }
                observer?.queueDepth(depth)
                // Started once the waiter is queued, so it cannot fire before there is one to remove.
                let timer = Task {
                    guard (try? await Task.sleep(until: limit, clock: .continuous)) != nil else { return }
                    self.remove(
                        id, because: Refused(reason: deadlineFirst ? .deadlineExpiredInQueue : .queueWaitExceeded, retryAfter: .seconds(1)))
                }
                state.withLock { state in
                    if let index = state.queue.firstIndex(where: { $0.id == id }) {
                        state.queue[index].timer = timer
                    } else {
                        timer.cancel()
                    }
                }
            }
        } onCancel: {
            self.remove(id, because: CancellationError())
        }
    }

    /// Takes a waiter out of the queue (timed out or cancelled); nothing if it already got a slot.
    private func remove(_ id: UInt64, because error: any Error) {
        let removed: (Waiter, Int)? = state.withLock { state in
            guard let index = state.queue.firstIndex(where: { $0.id == id }) else { return nil }
            return (state.queue.remove(at: index), state.queue.count)
        }
        guard let (waiter, depth) = removed else { return }
        waiter.timer?.cancel()
        observer?.queueDepth(depth)
        if let refused = error as? Refused {
            state.withLock { $0.lastRefusal = .now }
            observer?.refused(refused.reason)
        }
        waiter.continuation.resume(throwing: error)
    }

    /// A slot is free: the first waiter gets it, or it goes back to the pool.
    fileprivate func release(acquiredAt start: ContinuousClock.Instant) {
        let now = ContinuousClock.now
        let next: (Waiter, Int)? = state.withLock { state in
            let held = (now - start).seconds
            state.serviceDeviation = 0.8 * state.serviceDeviation + 0.2 * abs(held - state.serviceSeconds)
            state.serviceSeconds = 0.8 * state.serviceSeconds + 0.2 * held
            if let index = state.slotStarts.firstIndex(of: start) { state.slotStarts.remove(at: index) }
            guard !state.queue.isEmpty else {
                state.busy -= 1
                state.saturatedSince = nil
                return nil
            }
            state.slotStarts.append(now)
            return (state.queue.removeFirst(), state.queue.count)
        }
        guard let (waiter, depth) = next else { return }
        waiter.timer?.cancel()
        observer?.queueDepth(depth)
        waiter.continuation.resume(returning: now)
    }

    /// How long every slot has been busy with requests waiting or refused (zero when not).
    package var saturatedFor: Duration {
        state.withLock { state in state.saturatedSince.map { ContinuousClock.now - $0 } ?? .zero }
    }

    package var snapshot: (busy: Int, queued: Int) { state.withLock { ($0.busy, $0.queue.count) } }

    /// How many requests admission can hold now: the slots, and the queue positions whose
    /// predicted wait is within the maximum; none beyond those it holds for a service time
    /// after a refusal (the room it predicts flickers open as slots near their end, and a
    /// connection let in on a flicker is refused). The serving listener accepts a new
    /// connection only while fewer requests than this are in the server or on their way
    /// (AcceptGate), so a client that would be refused waits in the kernel's backlog instead
    /// of costing the core a refusal.
    package var capacity: Int {
        let now = ContinuousClock.now
        return state.withLock { state in
            let service = state.conservativeService
            if let refused = state.lastRefusal, now - refused < service { return state.busy + state.queue.count }
            var positions = 0
            while positions < settings.queueCapacity,
                state.predictedWait(position: positions, service: service, now: now) <= settings.maxQueueWait
            {
                positions += 1
            }
            return settings.concurrency + positions
        }
    }
}

/// A held slot. Released once by everyone holding it: the handler, and an engine run that
/// outlives its request (a deadline answered while the model still computes keeps the slot
/// busy until the model is done, so the next request is not admitted onto a busy core).
package final class SlotLease: Sendable {
    private let admission: Admission
    private let holders = Atomic<Int>(1)
    private let acquired: ContinuousClock.Instant

    fileprivate init(admission: Admission, acquired: ContinuousClock.Instant) {
        self.admission = admission
        self.acquired = acquired
    }

    package func retain() { holders.add(1, ordering: .relaxed) }

    package func release() {
        guard holders.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return }
        admission.release(acquiredAt: acquired)
    }
}

/// What admission reports to metrics.
package protocol AdmissionObserver: Sendable {
    func admitted(wait: Duration)
    func refused(_ reason: Admission.Refusal)
    func queueDepth(_ depth: Int)
}
