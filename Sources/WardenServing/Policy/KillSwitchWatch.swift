import Logging

/// Which versions the request policy switches off for everyone ("killed"), refreshed at each
/// policy tick (the policy may read the time) and before warm-up, so a version killed at
/// start never reports ready. A killed version is not ready, is skipped by unversioned
/// requests as a revoked one is, and says why in metadata, readiness and the index.
package struct KillSwitchWatch: Sendable {
    package let policy: RequestPolicy
    package let repository: ModelRepository
    package let logger: Logger

    package func refresh() {
        for model in repository.models {
            let reasons = policy.killReasons(model: model.name, version: model.version)
            guard model.setKilled(reasons) else { continue }
            let event: AuditEvent =
                if let reasons { .versionKilled(model: model.name, version: model.version, reasons: reasons) } else {
                    .versionRestored(model: model.name, version: model.version)
                }
            event.log(to: logger)
        }
    }

    package init(policy: RequestPolicy, repository: ModelRepository, logger: Logger) {
        self.policy = policy
        self.repository = repository
        self.logger = logger
    }
}
