import Logging
import OTel
import ServiceLifecycle
import Tracing
import WardenRegistry
import WardenServer

/// Tracing for `warden serve`: spans exported over OTLP/HTTP (protobuf) by swift-otel's
/// batching exporter when an endpoint is configured; otherwise no tracer at all. The batch
/// queue is bounded and export runs in the background with a timeout, so a slow or dead
/// collector costs dropped spans, never request latency.
enum TraceExport {
    /// `tls`: the outbound TLS configuration. With it, swift-otel exports to an in-process
    /// relay (`OTLPRelay`) that sends each export on over TLS 1.3 with the CA bundle and client
    /// certificate as their files stand, so a rotation needs no restart.
    static func bootstrap(endpoint: String?, samplingRatio: Double, tls: OutboundTLSSettings?, logger: Logger) throws -> [any Service] {
        guard let endpoint else { return [] }
        let relay = try tls.map { try OTLPRelay(collector: endpoint, tls: $0, logger: logger) }
        var configuration = OTel.Configuration.default
        configuration.serviceName = "warden"
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.propagators = [.traceContext]
        configuration.diagnosticLogger = .custom(logger)
        configuration.diagnosticLogLevel = .warning
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.endpoint = relay?.localEndpoint ?? endpoint
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.traces.otlpExporter.timeout = .seconds(2)
        // The ratio is drawn for new traces by RequestTracingMiddleware, before any span exists;
        // what reaches the tracer is sampled, or follows its caller's decision.
        configuration.traces.sampler = .parentBasedAlwaysOn
        configuration.traces.batchSpanProcessor.scheduleDelay = .milliseconds(500)
        configuration.traces.batchSpanProcessor.maxQueueSize = 4096
        configuration.traces.batchSpanProcessor.maxExportBatchSize = 512
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        logger.info(
            "exporting traces", metadata: ["event": "tracing_enabled", "sampling_ratio": .stringConvertible(samplingRatio)])
        // The relay first: the group stops services last-listed first, so it outlives the
        // exporter's final flush.
        return (relay.map { [$0] } ?? []) + [backend.service]
    }
}
