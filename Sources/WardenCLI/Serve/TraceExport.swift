import Logging
import OTel
import ServiceLifecycle
import Tracing
import WardenRegistry

/// Tracing for `warden serve`: spans exported over OTLP/HTTP (protobuf) by swift-otel's
/// batching exporter when an endpoint is configured; otherwise no tracer at all. The batch
/// queue is bounded and export runs in the background with a timeout, so a slow or dead
/// collector costs dropped spans, never request latency.
enum TraceExport {
    /// `tls`: the outbound TLS configuration — its CA bundle replaces the system roots for an
    /// https endpoint, and its client certificate and key are presented (mutual TLS). swift-otel
    /// reads the files once, when the exporter starts.
    static func bootstrap(endpoint: String?, samplingRatio: Double, tls: OutboundTLSSettings?, logger: Logger) throws -> [any Service] {
        guard let endpoint else { return [] }
        var configuration = OTel.Configuration.default
        configuration.serviceName = "warden"
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.propagators = [.traceContext]
        configuration.diagnosticLogger = .custom(logger)
        configuration.diagnosticLogLevel = .warning
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.endpoint = endpoint
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.traces.otlpExporter.timeout = .seconds(2)
        if let tls {
            configuration.traces.otlpExporter.certificateFilePath = tls.caBundleFile
            configuration.traces.otlpExporter.clientCertificateFilePath = tls.certificateFile
            configuration.traces.otlpExporter.clientKeyFilePath = tls.privateKeyFile
        }
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
        return [backend.service]
    }
}
