import Synchronization

/// Runs blocking work (compiling a policy a reload found) on a detached task and waits for it
/// at most `timeout`, or until the waiting task is cancelled at shutdown: the caller is never
/// held by work that overruns. Work that overruns finishes on its own and is discarded.
package enum DetachedWork {
    package struct TimedOut: Error, CustomStringConvertible {
        package let timeout: Duration
        package var description: String { "did not finish within \(timeout)" }
    }

    package static func run<T: Sendable>(timeout: Duration, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        let outcome = Outcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard outcome.arm(continuation) else { return }
                Task.detached { outcome.resume(with: Result { try work() }) }
                Task.detached {
                    try? await Task.sleep(for: timeout)
                    outcome.resume(with: .failure(TimedOut(timeout: timeout)))
                }
            }
        } onCancel: {
            outcome.resume(with: .failure(CancellationError()))
        }
    }

    /// The continuation, resumed exactly once by whichever comes first: the work, the timer or
    /// cancellation (which may come before the continuation exists).
    private final class Outcome<T: Sendable>: Sendable {
        private enum State {
            case waiting
            case armed(CheckedContinuation<T, any Error>)
            case done
        }
        private let state = Mutex<State>(.waiting)

        /// False when cancellation came first: the continuation is then resumed at once.
        package func arm(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
            let cancelled = state.withLock { state -> Bool in
                guard case .waiting = state else { return true }
                state = .armed(continuation)
                return false
            }
            if cancelled { continuation.resume(throwing: CancellationError()) }
            return !cancelled
        }

        package func resume(with result: Result<T, any Error>) {
            let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
                switch state {
                case .waiting:
                    state = .done
                    return nil
                case let .armed(continuation):
                    state = .done
                    return continuation
                case .done:
                    return nil
                }
            }
            continuation?.resume(with: result)
        }
    }
}
