import WardenServing

/// The pipeline's and admission's measurements, into the Prometheus registry.
struct PipelineMetrics: PipelineObserver, AdmissionObserver {
    let metrics: ServerMetrics

    func engineRan(model: String, version: String, duration: Duration) {
        metrics.inference(model: model, version: version, duration: duration)
    }
    func timedOut(route: String) { metrics.resilience.timedOut(route: route) }
    func throttled() { metrics.resilience.throttled() }
    func admitted(wait: Duration) { metrics.resilience.admitted(wait: wait) }
    func refused(_ reason: Admission.Refusal) { metrics.resilience.refused(reason) }
    func queueDepth(_ depth: Int) { metrics.resilience.queueDepth(depth) }
}
