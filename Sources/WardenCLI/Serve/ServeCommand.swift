import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WardenServer
import WardenServing

/// `warden serve`: serve models over the Open Inference Protocol v2 and KServe v1.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve models over the Open Inference Protocol v2 (and KServe v1).",
        discussion: """
            Without a model, serves the bundled example churn model (examples/churn) on 127.0.0.1:8080, \
            probes on :8081. Either give a YAML --config, or one model with --model-dir. The serving port is \
            mutual TLS (--tls-cert, --tls-key, --client-ca, --allow-client), or plain HTTP only with \
            --insecure-plaintext.
            """)

    @Option(help: "YAML configuration file (listeners, limits, models).")
    var config: String?

    @Option(help: "Artifact directory of a single model (model.onnx, optional warden-model.json).")
    var modelDir: String?

    @Option(help: "Model name (default: the contract's, else the directory's).")
    var name: String?

    @Option(help: "Model version (default: the contract's, else 1).")
    var version: String?

    @Option(
        help: "Pinned digest (sha256:…) of --model-dir, or of the --config's only model: re-hashed against what fetch installed.")
    var expectedDigest: String?

    @Flag(help: "Serve only pinned, fetch-installed, read-only model directories.")
    var hardened = false

    @Flag(help: "Exit unless the runtime self-check passes: non-root, no_new_privs, no capabilities, seccomp, read-only root and models.")
    var requireHardened = false

    @Option(
        name: .customLong("request-policy"),
        help: "Rego kill-switch policy (data.serving.request.allow); reloaded on change; replaces a configured policy bundle. Repeatable.")
    var requestPolicy: [String] = []

    @Option(name: .customLong("policy-data"), help: "Data (JSON/YAML) for the request policy. Repeatable.")
    var policyData: [String] = []

    @Option(name: .customLong("gate-policy"), help: "Rego startup gate, re-evaluated over each model's receipt before loading. Repeatable.")
    var gatePolicy: [String] = []

    @Flag(name: .customLong("gate-v0-compatible"), help: "Read the startup gate in Rego v0 syntax.")
    var gateV0Compatible = false

    @Option(help: "Key for hash redactions (at least 32 bytes); without it, hashes are keyed per process.")
    var redactionKeyFile: String?

    @Option(help: "OTLP/HTTP endpoint for traces, e.g. http://127.0.0.1:4318/v1/traces (default: no tracing).")
    var otlpEndpoint: String?

    @Option(help: "Share of new traces sampled, 0...1 (default 0.1; a caller's sampling decision is followed).")
    var traceSamplingRatio: Double?

    @Option(help: "Serving certificate (PEM) for mutual TLS.")
    var tlsCert: String?

    @Option(help: "Private key (PEM) of the serving certificate.")
    var tlsKey: String?

    @Option(help: "Trust bundle (PEM) client certificates must chain to.")
    var clientCa: String?

    @Option(help: "SPIFFE ID (or spiffe://domain/path/* pattern) allowed on every route. Repeatable.")
    var allowClient: [String] = []

    @Flag(help: "Serve plain HTTP (local development only; refused with --hardened).")
    var insecurePlaintext = false

    @Flag(help: "With --insecure-plaintext, also listen on an address other than loopback.")
    var insecurePlaintextAnyAddress = false

    @Flag(help: "With --insecure-plaintext, let the admin routes (release plans) be called without a client identity.")
    var insecureAdminWithoutIdentity = false

    @Option(help: "Address to listen on.")
    var host: String?

    @Option(help: "Serving port (0 picks a free one).")
    var port: Int?

    @Option(help: "Plain-HTTP probe port for /livez and /readyz (0 picks a free one).")
    var probePort: Int?

    @Option(help: "Open Inference Protocol over gRPC on this port, with the serving port's TLS (0 picks a free one; off unless set).")
    var grpcPort: Int?

    @Option(help: "Plain gRPC health (grpc.health.v1) for Kubernetes gRPC probes on this port (off unless set).")
    var grpcProbePort: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    func run() async throws {
        var configuration = try config.map(ServeConfiguration.init(contentsOfFile:)) ?? ServeConfiguration()
        if config != nil, modelDir != nil { throw ValidationError("give either --config or --model-dir, not both") }
        if let modelDir {
            configuration.models = [.init(directory: modelDir, name: name, version: version, expectedDigest: expectedDigest)]
        } else if let expectedDigest {
            // The deployment's pin, from the same source as the init container's (a Kubernetes
            // ConfigMap), so the serve configuration file need not repeat it.
            guard configuration.models.count == 1 else {
                let count = configuration.models.count
                throw ValidationError("--expected-digest pins --model-dir, or the configuration's only model (it lists \(count))")
            }
            configuration.models[0].expectedDigest = expectedDigest
        } else if configuration.models.isEmpty {
            configuration.models = [.init(directory: ExampleModel.directory(), name: name, version: version)]
        }
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        if let probePort { configuration.probePort = probePort }
        if let grpcPort { configuration.grpcPort = grpcPort }
        if let grpcProbePort { configuration.grpcProbePort = grpcProbePort }
        if let logLevel { configuration.logLevel = logLevel }
        if hardened { configuration.hardened = true }
        if requireHardened { configuration.requireHardenedRuntime = true }
        if let redactionKeyFile { configuration.redactionKeyFile = redactionKeyFile }
        if let otlpEndpoint { configuration.otlpEndpoint = otlpEndpoint }
        if insecurePlaintext { configuration.insecurePlaintext = true }
        if insecurePlaintextAnyAddress { configuration.insecurePlaintextAnyAddress = true }
        if insecureAdminWithoutIdentity { configuration.insecureAdminWithoutIdentity = true }
        if tlsCert != nil || tlsKey != nil || clientCa != nil {
            guard let tlsCert, let tlsKey, let clientCa else { throw ValidationError("--tls-cert, --tls-key and --client-ca go together") }
            configuration.tls = TLSSettings(certificateFile: tlsCert, privateKeyFile: tlsKey, clientCABundleFile: clientCa)
        }
        if !allowClient.isEmpty {
            let patterns = try allowClient.map { text in
                do {
                    return try IdentityPattern(parsing: text)
                } catch {
                    throw ValidationError("--allow-client \(text): \(error)")
                }
            }
            configuration.authorization.rules.append(.init(routes: Authorization.RouteClass.byDefault, allow: patterns))
        }
        if let traceSamplingRatio {
            guard (0...1).contains(traceSamplingRatio) else { throw ValidationError("--trace-sampling-ratio must be in 0...1") }
            configuration.traceSamplingRatio = traceSamplingRatio
        }
        if !requestPolicy.isEmpty {
            // Flags override the file: files given here replace a configured bundle source.
            configuration.requestPolicy = RequestPolicySource(files: requestPolicy, dataFiles: policyData)
            configuration.policyBundle = nil
        }
        if !gatePolicy.isEmpty {
            configuration.startupGateFiles = gatePolicy
            configuration.startupGateV0Compatible = gateV0Compatible
        }
        guard let level = Logger.Level(rawValue: configuration.logLevel) else {
            throw ValidationError("unknown log level '\(configuration.logLevel)'")
        }
        let secretsInEnvironment: [String]
        do {
            try configuration.checkTransport()
            secretsInEnvironment = try configuration.secretsInEnvironment(ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("warden: \(error)\n".utf8))
            throw ExitCode(2)
        }
        // The process's level, which /v2/logging may change while it runs.
        LogLevelControl.shared.current = level
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        let logger = Logger(label: "warden")
        if !secretsInEnvironment.isEmpty {
            logger.warning(
                "secret names set in the environment; Warden reads secrets from files only",
                metadata: ["event": "secret_in_environment", "names": .array(secretsInEnvironment.map { .string($0) })])
        }
        let posture = RuntimePosture.inspect(
            modelDirectories: configuration.models.map(\.directory), secretsInEnvironment: secretsInEnvironment)
        posture.log(to: logger)
        if configuration.requireHardenedRuntime, !posture.isHardened {
            logger.critical(
                "refusing to serve: the runtime is not hardened (\(posture.failures.map(\.name).joined(separator: ", ")))",
                metadata: ["event": "runtime_posture_refused"])
            throw ExitCode(1)
        }
        if configuration.insecurePlaintext {
            logger.warning(
                "serving plain HTTP: no client identity, no encryption; for local development only",
                metadata: ["event": "insecure_plaintext"])
        }
        let telemetry: [any Service]
        do {
            telemetry = try TraceExport.bootstrap(
                endpoint: configuration.otlpEndpoint, samplingRatio: configuration.traceSamplingRatio, tls: configuration.outboundTLS,
                logger: logger)
        } catch {
            logger.critical("cannot set up tracing: \(error)", metadata: ["event": "tracing_failed"])
            throw ExitCode(1)
        }
        let server: ServerAssembly
        do {
            server = try await ServerAssembly.make(configuration: configuration, logger: logger, telemetry: telemetry, keys: CLIKeys.store)
            {
                port in
                logger.info("listening", metadata: ["event": "listening", "port": .stringConvertible(port)])
            }
        } catch {
            logger.critical("cannot serve: \(error)", metadata: ["event": .string(error.step.rawValue)])
            throw ExitCode(1)
        }
        posture.record(metrics: server.metrics, state: server.state)
        let group = server.group
        do {
            try await group.run()
        } catch let failure as ListenerFailure {
            logger.critical("cannot serve: \(failure)", metadata: ["event": "listen_failed"])
            throw ExitCode(1)
        }
        logger.info("stopped", metadata: ["event": "stopped"])
    }
}
