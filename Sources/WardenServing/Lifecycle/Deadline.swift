/// Runs `body` and gives up after `limit`, throwing `timeout()`; the body is cancelled. For
/// outbound work that must not hold a poller for ever (a registry that stalls mid-answer).
package func withDeadline<T: Sendable>(
    _ limit: Duration, timeout: @escaping @Sendable () -> any Error, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw timeout()
        }
        defer { group.cancelAll() }
        // The group has two tasks, so the first to finish is always there.
        guard let first = try await group.next() else { throw CancellationError() }
        return first
    }
}
