import Logging
import ServiceLifecycle

/// Re-reads the redaction key file when a secrets agent rewrites it, so a rotated key is used
/// without a restart. The key itself never reaches a log line; only the event does.
struct RedactionKeyReloadService: Service {
    let redactor: OutputRedactor
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try await PeriodicService(every: interval) { check() }.run()
    }

    func check() {
        do {
            if try redactor.reload() { AuditEvent.secretRotated(name: "redaction_key").log(to: logger) }
        } catch {
            AuditEvent.secretRotationFailed(name: "redaction_key", reason: "\(error)").log(to: logger)
        }
    }
}
