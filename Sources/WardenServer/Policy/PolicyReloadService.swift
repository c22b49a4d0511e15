import Logging
import ServiceLifecycle

/// Watches the request policy's files and swaps in a new policy when they change; a broken
/// policy is logged and counted, and the last good one stays in force.
struct PolicyReloadService: Service {
    let policy: RequestPolicy
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled {
            try? await Task.sleep(for: policy.source.reloadInterval)
            guard !Task.isShuttingDownGracefully else { return }
            switch policy.reloadIfChanged() {
            case .success?:
                logger.info(
                    "request policy reloaded", metadata: ["event": "policy_reloaded", "reloads": .stringConvertible(policy.reloadCount)])
            case let .failure(error)?:
                logger.error(
                    "request policy reload failed; keeping the last good policy",
                    metadata: [
                        "event": "policy_reload_failed", "error": .string("\(error)"),
                        "failures": .stringConvertible(policy.reloadFailures),
                    ])
            case nil:
                continue
            }
        }
    }
}
