import Foundation
import Logging

/// The audit line of a refused client certificate, naming the rule it broke. Refusals happen
/// before authentication, so anyone can cause them: a burst of twenty is logged, then one a
/// second, and each line counts the refusals it stands for since the last.
struct RefusalAudit: Sendable {
    let logger: Logger
    var tokens = 20.0
    var lastRefill = Date()
    var suppressed = 0

    init(logger: Logger) { self.logger = logger }

    mutating func record(_ reason: String, now: Date = Date()) {
        tokens = min(20, tokens + now.timeIntervalSince(lastRefill))
        lastRefill = now
        guard tokens >= 1 else {
            suppressed += 1
            return
        }
        tokens -= 1
        logger.notice(
            "audit",
            metadata: [
                "event": "client_certificate_refused", "reason": .string(reason), "refusals": .stringConvertible(suppressed + 1),
            ])
        suppressed = 0
    }
}
