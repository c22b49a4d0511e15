import Logging
import ServiceLifecycle
import WardenServing

/// Polls the TLS files and swaps in rotated material, with an audit event for each rotation
/// or refused file, and keeps the certificate-expiry gauges current (a warning when under the
/// threshold).
struct TLSReloadService: Service {
    let material: TLSMaterial
    let metrics: ServerMetrics
    let state: ServerState
    let logger: Logger
    /// Below this, each check logs a warning and readiness reports it.
    var warnBefore: Duration = .seconds(7 * 86_400)
    /// The metric and warning names of the certificate and its bundle.
    var names = (certificate: "server", bundle: "client_ca_bundle")

    func run() async throws {
        record()
        try await PeriodicService(every: material.settings.reloadInterval) { check() }.run()
    }

    func check() {
        switch material.reload() {
        case let .rotated(server, bundle)?:
            AuditEvent.certificateRotated(serverNotAfter: server, bundleNotAfter: bundle).log(to: logger)
        case let .failed(reason)?:
            AuditEvent.certificateRotationFailed(reason: reason).log(to: logger)
        case nil:
            break
        }
        record()
    }

    private func record() {
        let (server, bundle) = material.expiry
        for (name, notAfter) in [(names.certificate, server), (names.bundle, bundle)] {
            let remaining = notAfter.timeIntervalSinceNow
            metrics.certificateExpiry(certificate: name, seconds: remaining)
            let expiring = remaining < Double(warnBefore.components.seconds)
            state.setWarning(
                "certificate_expiring.\(name)", expiring ? "the \(name) certificate expires in \(Int(remaining)) s" : nil)
            if expiring {
                logger.warning(
                    "certificate expires soon",
                    metadata: [
                        "event": "certificate_expiring", "certificate": .string(name), "seconds": .stringConvertible(Int(remaining)),
                    ])
            }
        }
    }
}
