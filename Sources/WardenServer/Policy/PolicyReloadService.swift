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
                AuditEvent.policyReloaded(files: policy.source.files + policy.source.dataFiles, reloads: policy.reloadCount).log(to: logger)
            case let .failure(error)?:
                AuditEvent.policyReloadFailed(
                    files: policy.source.files + policy.source.dataFiles, failures: policy.reloadFailures, reason: "\(error)"
                ).log(to: logger)
            case nil:
                continue
            }
        }
    }
}
