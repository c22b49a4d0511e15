import Logging
import Prometheus
import WardenServing

/// Where the self-check is reported: one log event at startup, a gauge per check, and a
/// readiness warning per failure (the serving port's `/v2/health/ready` body).
extension RuntimePosture {
    public func log(to logger: Logger) {
        let results = Logger.Metadata(
            uniqueKeysWithValues: checks.map { ($0.name, .string(($0.passed ? "pass: " : "FAIL: ") + $0.detail)) })
        let metadata: Logger.Metadata = [
            "event": "runtime_posture", "hardened": .stringConvertible(isHardened), "checks": .dictionary(results),
        ]
        if isHardened {
            logger.info("runtime posture: every hardening check passed", metadata: metadata)
        } else {
            let names = failures.map(\.name).joined(separator: ", ")
            logger.warning("runtime posture: hardening checks failed: \(names)", metadata: metadata)
        }
    }

    public func record(metrics: ServerMetrics, state: ServerState) {
        for check in checks {
            metrics.registry.makeGauge(
                descriptor: .init(
                    namespace: "warden", subsystem: "runtime", metricName: "hardening_check", unitName: "",
                    helpText: "1 when a runtime hardening check passed at startup, 0 when it failed."),
                labels: [("check", check.name)]
            ).set(to: check.passed ? 1 : 0)
            state.setWarning("posture.\(check.name)", check.passed ? nil : "runtime hardening check \(check.name) failed: \(check.detail)")
        }
        metrics.registry.makeGauge(
            descriptor: .init(
                namespace: "warden", subsystem: "runtime", metricName: "hardened", unitName: "",
                helpText: "1 when every runtime hardening check passed at startup.")
        ).set(to: isHardened ? 1 : 0)
    }
}
