import Prometheus
import WardenServing

/// Metrics of Warden's outbound dependencies: each call's outcome and each breaker's state.
final class OutboundMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    /// `outcome`: success, or the stable code of the failure.
    func call(_ dependency: String, outcome: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "warden", subsystem: "outbound", metricName: "requests", unitName: "total",
                helpText: "Calls to an outbound dependency, by outcome (success, or the stable error code)."),
            labels: [("dependency", dependency), ("outcome", outcome)]
        ).increment()
    }

    /// One series per state; the current one is 1.
    func breakerState(_ dependency: String, _ state: CircuitBreaker.State) {
        for candidate in [CircuitBreaker.State.closed, .open, .halfOpen] {
            registry.makeGauge(
                descriptor: .init(
                    namespace: "warden", subsystem: "outbound", metricName: "circuit_state", unitName: "",
                    helpText: "1 for the current state of a dependency's circuit breaker (closed, open, half_open)."),
                labels: [("dependency", dependency), ("state", candidate.rawValue)]
            ).set(to: candidate == state ? 1 : 0)
        }
    }
}
