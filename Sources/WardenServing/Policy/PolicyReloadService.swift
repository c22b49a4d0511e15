import Logging
import ServiceLifecycle

/// Watches the request policy's files and swaps in a new policy when they change; a broken
/// policy (or one that does not compile within the deadline) is logged, audited and counted,
/// and the last good one stays in force. Graceful shutdown cancels the wait at once.
/// Each tick also refreshes which versions the policy switches off for everyone.
package struct PolicyReloadService: Service {
    package let policy: RequestPolicy
    /// Re-asked at every tick, changed or not: a kill switch may depend on the time.
    package let killSwitch: KillSwitchWatch
    package let logger: Logger

    package func run() async throws {
        try await PeriodicService(every: policy.source.reloadInterval) { await check() }.run()
    }

    package func check() async {
        switch await policy.reloadIfChanged() {
        case .success?:
            AuditEvent.policyReloaded(files: policy.source.files + policy.source.dataFiles, reloads: policy.reloadCount).log(to: logger)
        case let .failure(error)? where !(error is CancellationError):
            AuditEvent.policyReloadFailed(
                files: policy.source.files + policy.source.dataFiles, failures: policy.reloadFailures, reason: "\(error)"
            ).log(to: logger)
        default:
            break
        }
        killSwitch.refresh()
    }

    package init(policy: RequestPolicy, killSwitch: KillSwitchWatch, logger: Logger) {
        self.policy = policy
        self.killSwitch = killSwitch
        self.logger = logger
    }
}
