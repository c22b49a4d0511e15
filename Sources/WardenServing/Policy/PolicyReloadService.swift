import Logging
import ServiceLifecycle

/// Watches the request policy's files and swaps in a new policy when they change; a broken
/// policy (or one that does not compile within the deadline) is logged, audited and counted,
/// and the last good one stays in force. Graceful shutdown cancels the wait at once.
/// Each tick also refreshes which versions the policy switches off for everyone.
package struct PolicyReloadService: Service {
    package let policy: RequestPolicy
    package let source: RequestPolicySource
    /// Re-asked at every tick, changed or not: a kill switch may depend on the time.
    package let killSwitch: KillSwitchWatch
    package let logger: Logger

    package func run() async throws {
        try await PeriodicService(every: source.reloadInterval) { await check() }.run()
    }

    package func check() async {
        switch await policy.reloadIfChanged() {
        case .success?:
            AuditEvent.policyReloaded(files: source.files + source.dataFiles, reloads: policy.reloadCount).log(to: logger)
        case let .failure(error)? where !(error is CancellationError):
            AuditEvent.policyReloadFailed(
                files: source.files + source.dataFiles, failures: policy.reloadFailures, reason: "\(error)"
            ).log(to: logger)
        default:
            break
        }
        killSwitch.refresh()
    }

    /// `policy` is the one read from `source`'s files.
    package init(policy: RequestPolicy, source: RequestPolicySource, killSwitch: KillSwitchWatch, logger: Logger) {
        self.policy = policy
        self.source = source
        self.killSwitch = killSwitch
        self.logger = logger
    }
}
