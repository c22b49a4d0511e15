import Prometheus
import WardenServing

/// Admission and connection metrics: the inputs an autoscaler (KEDA, HPA through the
/// Prometheus adapter) and an operator need to see overload. Created once, so the request
/// path only bumps existing series.
final class ResilienceMetrics: AdmissionObserver {
    private let queueDepth: Gauge
    private let waits: DurationHistogram
    private let refusals: [Admission.Refusal: Counter]
    private let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        queueDepth = registry.makeGauge(
            descriptor: .init(
                namespace: "warden", subsystem: "admission", metricName: "queue_depth", unitName: "",
                helpText: "Requests waiting for an inference slot."))
        waits = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "warden", subsystem: "admission", metricName: "wait", unitName: "seconds",
                helpText: "Time admitted requests waited for an inference slot."),
            buckets: ServerMetrics.durationBuckets)
        var refusals: [Admission.Refusal: Counter] = [:]
        for reason in [
            Admission.Refusal.queueFull, .predictedWaitOverQueueLimit, .predictedWaitOverDeadline, .queueWaitExceeded,
            .deadlineExpiredInQueue,
        ] {
            refusals[reason] = registry.makeCounter(
                descriptor: .init(
                    namespace: "warden", subsystem: "admission", metricName: "shed", unitName: "total",
                    helpText: "Requests refused a slot (503, or 504 when the deadline passed in the queue), by reason."),
                labels: [("reason", reason.rawValue)])
        }
        self.refusals = refusals
        // Counters that exist from the start at zero, so rate() and alerts see them before the
        // first event.
        _ = registry.makeCounter(descriptor: Self.throttledDescriptor)
        for route in ["/v2/models/{model}/infer", "/v2/models/{model}/versions/{version}/infer", "/v1/models/{model}:predict"] {
            _ = registry.makeCounter(descriptor: Self.timeoutsDescriptor, labels: [("route", route)])
        }
        for reason in [ConnectionCloseReason.headerTimeout, .bodyTimeout, .idleTimeout, .requestLimit] {
            _ = registry.makeCounter(descriptor: Self.connectionsClosedDescriptor, labels: [("reason", reason.rawValue)])
        }
    }

    static var timeoutsDescriptor: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "warden", subsystem: "http", metricName: "timeouts", unitName: "total",
            helpText: "Requests answered 504 because their deadline passed, by route.")
    }
    static var throttledDescriptor: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "warden", subsystem: "admission", metricName: "throttled", unitName: "total",
            helpText: "Requests refused because their client was over its quota (429).")
    }
    static var connectionsClosedDescriptor: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "warden", subsystem: "http", metricName: "connections_closed", unitName: "total",
            helpText: "Connections the server closed for a limit: header, body or idle timeout, request budget.")
    }

    func admitted(wait: Duration) { waits.record(wait) }
    func refused(_ reason: Admission.Refusal) { refusals[reason]?.increment() }
    func queueDepth(_ depth: Int) { queueDepth.set(to: Double(depth)) }

    /// Slots and their use, for the gauges that do not change per event.
    func slots(total: Int) {
        registry.makeGauge(
            descriptor: .init(
                namespace: "warden", subsystem: "admission", metricName: "slots", unitName: "",
                helpText: "Inference slots: requests that may do model work at once.")
        ).set(to: Double(total))
    }

    /// A request answered 504: its deadline passed in the queue, before the engine, or while the engine ran.
    func timedOut(route: String) {
        registry.makeCounter(descriptor: Self.timeoutsDescriptor, labels: [("route", route)]).increment()
    }

    /// A request over its client's quota (429).
    func throttled() {
        registry.makeCounter(
            descriptor: .init(
                namespace: "warden", subsystem: "admission", metricName: "throttled", unitName: "total",
                helpText: "Requests refused because their client was over its quota (429).")
        )
        .increment()
    }

    func connectionClosed(_ reason: ConnectionCloseReason) {
        registry.makeCounter(descriptor: Self.connectionsClosedDescriptor, labels: [("reason", reason.rawValue)]).increment()
    }

    /// 1 while readiness is withheld because the server has been saturated too long.
    func saturated(_ isSaturated: Bool) {
        registry.makeGauge(
            descriptor: .init(
                namespace: "warden", subsystem: "admission", metricName: "saturated", unitName: "",
                helpText: "1 while readiness is withheld because every slot has been busy with requests waiting for too long.")
        ).set(to: isSaturated ? 1 : 0)
    }
}
