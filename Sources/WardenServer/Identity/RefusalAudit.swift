import Logging
import WardenServing

/// The audit line of a refused client certificate, naming the rule it broke. Refusals happen
/// before authentication, so anyone can cause them: a burst of twenty is logged, then one a
/// second (`ClientQuota`'s token bucket, one key for all), and each line counts the refusals
/// it stands for since the last.
struct RefusalAudit: Sendable {
    static let key = "client_certificate_refused"

    let logger: Logger
    let bucket = ClientQuota(settings: .init(ratePerSecond: 1, burst: 20))
    var suppressed = 0

    init(logger: Logger) { self.logger = logger }

    mutating func record(_ reason: String) {
        guard bucket.take(Self.key) == nil else {
            suppressed += 1
            return
        }
        AuditEvent.clientCertificateRefused(reason: reason, refusals: suppressed + 1).log(to: logger)
        suppressed = 0
    }
}
