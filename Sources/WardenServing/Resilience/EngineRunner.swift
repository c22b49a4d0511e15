import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Runs model work on dedicated threads, one per admission slot, so a slow model cannot take
/// the threads that answer probes, shed requests and read sockets. A run that outlives its
/// request's deadline is answered 504 at the deadline; its result is discarded when it ends,
/// and only then is its slot free again.
package final class EngineRunner: Sendable {
    private let pool: NIOThreadPool
    private let timers: any EventLoopGroup

    package init(threads: Int, timers: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        self.timers = timers
    }

    package func shutdown() async throws { try await pool.shutdownGracefully() }

    /// `work`'s result, or `ServingFailure.deadlineExceeded` once `deadline` passes first.
    package func run<T: Sendable>(
        deadline: ContinuousClock.Instant, lease: SlotLease, _ work: @escaping @Sendable () throws -> T
    ) async throws -> T {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { throw ServingFailure.deadlineExceeded }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let once = ResumeOnce(continuation)
            lease.retain()
            let timer = timers.next().scheduleTask(in: TimeAmount(remaining)) {
                once.resume(with: .failure(ServingFailure.deadlineExceeded))
            }
            pool.submit { state in
                defer { lease.release() }
                guard state == .active else {
                    once.resume(with: .failure(ServingFailure(.shuttingDown, "the server is shutting down")))
                    return
                }
                let result = Result { try work() }
                timer.cancel()
                once.resume(with: result)
            }
        }
    }
}

/// A continuation resumed by whichever comes first: the work or its deadline.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    package init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = Mutex(continuation) }

    package func resume(with result: Result<T, any Error>) {
        let taken = continuation.withLock { stored in
            defer { stored = nil }
            return stored
        }
        taken?.resume(with: result)
    }
}

/// Stops the engine's threads at shutdown, once the listeners have drained.
package struct EngineShutdownService: Service {
    package let engine: EngineRunner

    package func run() async throws {
        try? await gracefulShutdown()
        try await engine.shutdown()
    }

    package init(engine: EngineRunner) {
        self.engine = engine
    }
}
