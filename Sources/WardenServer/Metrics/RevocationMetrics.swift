import Prometheus
import WardenServing

/// The live revocation check: its outcomes, the current list, and which versions are withdrawn.
final class RevocationMetrics: RevocationObserver {
    private let registry: PrometheusCollectorRegistry
    private let outbound: OutboundMetrics

    init(registry: PrometheusCollectorRegistry, outbound: OutboundMetrics) {
        self.registry = registry
        self.outbound = outbound
    }

    package func breakerState(_ state: CircuitBreaker.State) { outbound.breakerState("revocation", state) }

    package func checked(result: String, serial: Int64?, expiresIn: Double?) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "warden", subsystem: "revocation", metricName: "checks", unitName: "total",
                helpText: "Polls of the signed revocation list, by result (verified, failed, circuit_open)."),
            labels: [("result", result)]
        ).increment()
        if let serial {
            registry.makeGauge(
                descriptor: .init(
                    namespace: "warden", subsystem: "revocation", metricName: "list_serial", unitName: "",
                    helpText: "Serial of the revocation list in force.")
            ).set(to: Double(serial))
        }
        if let expiresIn { self.expiresIn(expiresIn) }
    }

    /// Seconds until the list in force expires (negative once it has).
    package func expiresIn(_ seconds: Double) {
        registry.makeGauge(
            descriptor: .init(
                namespace: "warden", subsystem: "revocation", metricName: "list_expiry", unitName: "seconds",
                helpText: "Seconds until the revocation list in force expires; negative once it has.")
        ).set(to: seconds)
    }

    /// `warden_model_withdrawn{model,version}`: 1 while a version does not serve for revocation.
    package func revoked(_ all: [ServedModel], revoked: [ServedModel]) {
        for model in all {
            registry.makeGauge(
                descriptor: .init(
                    namespace: "warden", subsystem: "model", metricName: "withdrawn", unitName: "",
                    helpText:
                        "1 while a served version is withdrawn: its digest is revoked, or no current revocation list proves it is not."),
                labels: [("model", model.name), ("version", model.version)]
            ).set(to: revoked.contains { $0 === model } ? 1 : 0)
        }
    }
}
