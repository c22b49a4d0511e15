import Logging
import ServiceLifecycle

/// Re-reads the redaction key file when a secrets agent rewrites it, so a rotated key is used
/// without a restart. The key itself never reaches a log line; only the event does.
package struct RedactionKeyReloadService: Service {
    package let redactor: OutputRedactor
    package let interval: Duration
    package let logger: Logger

    package func run() async throws {
        try await PeriodicService(every: interval) { check() }.run()
    }

    package func check() {
        do {
            if try redactor.reload() { AuditEvent.secretRotated(name: "redaction_key").log(to: logger) }
        } catch {
            AuditEvent.secretRotationFailed(name: "redaction_key", reason: "\(error)").log(to: logger)
        }
    }

    package init(redactor: OutputRedactor, interval: Duration, logger: Logger) {
        self.redactor = redactor
        self.interval = interval
        self.logger = logger
    }
}
