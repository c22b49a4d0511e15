import Prometheus
import Synchronization
import WardenServing

/// The request policy: its decisions by outcome and bundle revision, and the signed bundle
/// watch (polls, the bundle in force, its age). Revisions only grow, so the revision label
/// adds one series per bundle a replica ever ran.
final class PolicyMetrics: PolicyDecisionObserver, PolicyBundleObserver {
    private let registry: PrometheusCollectorRegistry
    private let outbound: OutboundMetrics
    private let decisions: MetricHandleCache<DecisionKey, Counter>
    private let info = Mutex<Gauge?>(nil)

    struct DecisionKey: Hashable {
        let outcome: String
        let revision: Int64?
    }

    init(registry: PrometheusCollectorRegistry, outbound: OutboundMetrics) {
        self.registry = registry
        self.outbound = outbound
        decisions = MetricHandleCache { key in
            registry.makeCounter(
                descriptor: .init(
                    namespace: "warden", subsystem: "policy", metricName: "decisions", unitName: "total",
                    helpText:
                        "Request policy decisions, by outcome (allow, deny, version_blocked) and the signed bundle's revision (none: files)."
                ),
                labels: [("outcome", key.outcome), ("bundle_revision", key.revision.map(String.init) ?? "none")])
        }
    }

    func decided(outcome: String, revision: Int64?) { decisions(DecisionKey(outcome: outcome, revision: revision)).increment() }

    func checked(result: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "warden", subsystem: "policy_bundle", metricName: "checks", unitName: "total",
                helpText: "Polls of the signed policy bundle, by result (activated, unchanged, rejected, failed, circuit_open)."),
            labels: [("result", result)]
        ).increment()
    }

    /// `warden_policy_bundle_info{revision,digest}` 1 for the bundle in force (the previous
    /// series is removed), and the revision as a number for alerts that compare replicas.
    func activated(revision: Int64, digest: String) {
        let gauge = registry.makeGauge(
            descriptor: .init(
                namespace: "warden", subsystem: "policy_bundle", metricName: "info", unitName: "",
                helpText: "1 for the signed policy bundle in force: its revision and manifest digest."),
            labels: [("revision", String(revision)), ("digest", digest)])
        gauge.set(to: 1)
        if let previous = info.withLock({ swap(&$0, with: gauge) }), previous !== gauge { registry.unregisterGauge(previous) }
        registry.makeGauge(
            descriptor: .init(
                namespace: "warden", subsystem: "policy_bundle", metricName: "revision", unitName: "",
                helpText: "Revision of the signed policy bundle in force.")
        ).set(to: Double(revision))
    }

    func age(seconds: Double, stale: Bool) {
        registry.makeGauge(
            descriptor: .init(
                namespace: "warden", subsystem: "policy_bundle", metricName: "age", unitName: "seconds",
                helpText: "Seconds since the policy bundle in force was signed; past its max age it fails closed.")
        ).set(to: seconds)
        registry.makeGauge(
            descriptor: .init(
                namespace: "warden", subsystem: "policy_bundle", metricName: "stale", unitName: "",
                helpText: "1 while the policy bundle in force is older than its max age.")
        ).set(to: stale ? 1 : 0)
    }

    func breakerState(_ state: CircuitBreaker.State) { outbound.breakerState("policy_bundle", state) }
}

/// Swaps `value` in and returns the old one.
private func swap(_ slot: inout Gauge?, with value: Gauge) -> Gauge? {
    let old = slot
    slot = value
    return old
}
