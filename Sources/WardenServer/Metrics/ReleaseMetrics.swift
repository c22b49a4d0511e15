import Prometheus
import WardenServing

/// Release management: the canary's share, each decision, and what the analysis sees now.
final class ReleaseMetrics: ReleaseObserver {
    private let registry: PrometheusCollectorRegistry
    static let phases = ["stable", "progressing", "rolled_back"]

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    package func decided(model: String, decision: ReleaseDecision, weight: Double, phase: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "warden", subsystem: "release", metricName: "decisions", unitName: "total",
                helpText: "Release decisions by model: plan_changed, promoted, completed, rolled_back."),
            labels: [("model", model), ("decision", decision.rawValue)]
        ).increment()
        registry.makeGauge(
            descriptor: .init(
                namespace: "warden", subsystem: "release", metricName: "canary_weight", unitName: "percent",
                helpText: "Share of a model's unversioned requests routed to its canary."),
            labels: [("model", model)]
        ).set(to: weight)
        for candidate in Self.phases {
            registry.makeGauge(
                descriptor: .init(
                    namespace: "warden", subsystem: "release", metricName: "phase", unitName: "",
                    helpText: "1 for a model's current release phase: stable, progressing or rolled_back."),
                labels: [("model", model), ("phase", candidate)]
            ).set(to: candidate == phase ? 1 : 0)
        }
    }

    /// 1 while the analysis finds the canary in breach of its SLOs (also when automatic
    /// rollback is off), 0 otherwise.
    package func verdict(model: String, verdict: ReleaseManager.Verdict) {
        registry.makeGauge(
            descriptor: .init(
                namespace: "warden", subsystem: "release", metricName: "canary_breach", unitName: "",
                helpText: "1 while the canary analysis finds a model's canary in breach of its SLOs."),
            labels: [("model", model)]
        ).set(to: Self.isBreach(verdict) ? 1 : 0)
    }

    static func isBreach(_ verdict: ReleaseManager.Verdict) -> Bool {
        if case .breach = verdict { return true }
        return false
    }
}
