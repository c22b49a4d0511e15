import GRPCNIOTransportHTTP2Posix
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import ServiceLifecycle
import WardenConfig
import WardenPolicy
import WardenRegistry
import WardenServing
import WardenTrust

/// How `warden serve` is put together: the serving listener, the probe listener, warm-up and
/// drain, as services in one group whose order is the shutdown order (last listed stops first).
/// A value made from the configuration (with the per-server resources the router and the
/// services share: metrics, admission, TLS material); each step — the model repository, the
/// release plans, the router, the service group — is a function of it and of what the earlier
/// steps returned, with no state passed between them behind the caller's back. The steps stay
/// separate because each failure is its own startup event.
public struct WardenServerBuilder {
    public var configuration: ServeConfiguration
    public var logger: Logger
    /// Keyed hashing for `x-warden-redact: hash`: from the configured key file, else a key
    /// that lives as long as the process.
    public var redactor: OutputRedactor
    public let metrics = ServerMetrics()
    /// Quotas, deadlines, admission and the engine's threads: one per server.
    let admission: AdmissionControl
    /// Warden's certificate, key and trust bundle (with mutual TLS), shared by the serving
    /// listener and the outbound client, rotated in place.
    let tlsMaterial: TLSMaterial?
    /// The client certificate, key and roots of `outbound_tls` (when it names all three), for
    /// the feature proxy, rotated in place like the serving material; else the serving
    /// material doubles as the outbound identity.
    let outboundMaterial: TLSMaterial?
    let featureProxy: FeatureProxy?
    /// The trace collector's circuit breaker, when traces are exported.
    let collector: TelemetryReachability?

    public init(configuration: ServeConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        redactor = try configuration.redactionKeyFile.map(OutputRedactor.init(keyFile:)) ?? .ephemeral()
        admission = AdmissionControl(settings: configuration.resilience, observer: PipelineMetrics(metrics: metrics))
        metrics.resilience.slots(total: configuration.resilience.admission.concurrency)
        let outbound = metrics.outbound
        collector = configuration.otlpEndpoint.flatMap { TelemetryReachability(endpoint: $0, outbound: outbound) }
        tlsMaterial = try configuration.tls.map(TLSMaterial.init(settings:))
        outboundMaterial = try configuration.outboundTLS.flatMap(Self.outboundSettings).map(TLSMaterial.init(settings:))
        if let settings = configuration.featureProxy, let material = outboundMaterial ?? tlsMaterial {
            featureProxy = FeatureProxy(settings: settings, material: material, metrics: metrics.outbound)
        } else {
            featureProxy = nil
        }
    }

    /// Loads every model (decode, compile, contract check). A model that cannot load is an error:
    /// the process must not start serving anything it cannot prove it can run.
    public func loadRepository() throws -> ModelRepository {
        var gate: RegoStartupGate?
        if !configuration.startupGateFiles.isEmpty {
            gate = try RegoStartupGate(files: configuration.startupGateFiles, v0Compatible: configuration.startupGateV0Compatible)
        }
        let repository = try ModelRepository(
            models: configuration.models.map { source in
                let provenance = try ArtifactGuard.check(source, hardened: configuration.hardened, startupGate: gate)
                let model = try ServedModel.load(
                    directory: source.directory, name: source.name, version: source.version, digest: provenance.digest)
                if configuration.revocation != nil, provenance.digest == nil {
                    throw ConfigurationError("\(source.directory): live revocation needs pinned models (expected_digest)")
                }
                let digest = provenance.digest?.description ?? ""
                metrics.modelServed(model: model.name, version: model.version, digest: digest, signer: provenance.signer)
                AuditEvent.modelVerified(
                    model: model.name, version: model.version, digest: digest, signer: provenance.signer,
                    attestations: provenance.attestations
                ).log(to: logger)
                return model
            })
        // A contract that asks for explanations learns at load whether it gets them, and why not.
        for model in repository.models where model.contract.explanations != nil {
            var metadata: Logger.Metadata = [
                "event": "model_explainability", "model": .string(model.name), "version": .string(model.version),
            ]
            switch model.explainer {
            case let .success(explainer):
                metadata["method"] = .string(explainer.method)
                metadata["features"] = .stringConvertible(explainer.features.count)
                metadata["targets"] = .stringConvertible(explainer.targets.count)
                logger.info("explanations available", metadata: metadata)
            case let .failure(reason):
                metadata["reason"] = .string(reason.description)
                logger.warning("not explainable", metadata: metadata)
            }
        }
        for model in repository.models where model.contract.featureStore != nil && featureProxy == nil {
            throw ConfigurationError("model '\(model.name)' looks features up in a feature store: configure feature_proxy (and tls)")
        }
        if configuration.redactionKeyFile == nil,
            repository.models.contains(where: { $0.enforcement.redactions.actions.values.contains(.hash) })
        {
            logger.warning(
                "hash redactions use a per-process key: hashes will not match across restarts or replicas",
                metadata: ["event": "redaction_key_ephemeral"])
        }
        return repository
    }

    /// The release plans of the configuration, in force over these models (none: the highest
    /// version answers unversioned requests until the admin endpoint sets a plan).
    public func makeReleases(repository: ModelRepository) throws -> ReleaseManager {
        try ReleaseManager(
            plans: configuration.releases, repository: repository, metrics: metrics.release, logger: logger)
    }

    public func servingRouter(state: ServerState, requestPolicy: RequestPolicy? = nil) -> Router<WardenRequestContext> {
        servingRouter(state: state, requestPolicy: requestPolicy, policyWatch: nil)
    }

    func servingRouter(state: ServerState, requestPolicy: RequestPolicy?, policyWatch: PolicyBundleWatch?) -> Router<WardenRequestContext> {
        let admission = admission
        let resilienceMetrics = metrics.resilience
        state.watchSaturation {
            let saturated = admission.isSaturatedTooLong
            resilienceMetrics.saturated(saturated)
            return saturated
        }
        let router = Router(context: WardenRequestContext.self)
        router.add(
            middleware: RequestTracingMiddleware(
                rootSamplingRatio: configuration.otlpEndpoint == nil ? nil : configuration.traceSamplingRatio, collector: collector))
        if configuration.tls != nil { router.add(middleware: PeerIdentityMiddleware()) }
        router.add(
            middleware: RequestTelemetryMiddleware(logger: logger, metrics: metrics, servedModels: Set(state.repository.models.map(\.name)))
        )
        router.add(middleware: ErrorMiddleware())
        if configuration.tls != nil {
            router.add(middleware: AuthorizationMiddleware(authorization: configuration.authorization))
        } else if !configuration.insecureAdminWithoutIdentity {
            router.add(middleware: AdminNeedsIdentityMiddleware())
        }
        let (selection, pipeline) = inferencePath(state: state, requestPolicy: requestPolicy)
        if requestPolicy != nil { router.add(middleware: ModelAccessMiddleware(selection: selection)) }
        MetadataRoutes(state: state).register(on: router)
        RepositoryRoutes(state: state).register(on: router)
        OpenAPIRoute.register(on: router)
        MetricsRoute.register(metrics, models: state.repository.models, on: router)
        if let releases = state.releases { AdminRoutes(releases: releases).register(on: router) }
        PolicyAdminRoutes(policy: requestPolicy, watch: policyWatch).register(on: router)
        LoggingRoutes(logger: logger).register(on: router)
        InferenceRoutes(
            pipeline: pipeline, limits: configuration.limits, authorization: configuration.tls == nil ? nil : configuration.authorization
        ).register(on: router)
        return router
    }

    /// The version selection and the inference pipeline over `state`: one per protocol, sharing
    /// the admission slots, the release plans, the request policy and the metrics.
    func inferencePath(state: ServerState, requestPolicy: RequestPolicy?) -> (VersionSelection, InferencePipeline) {
        let selection = VersionSelection(repository: state.repository, releases: state.releases, policy: requestPolicy, logger: logger)
        let pipeline = InferencePipeline(
            selection: selection, admission: admission, features: FeatureLookup(source: featureProxy), redactor: redactor,
            observer: PipelineMetrics(metrics: metrics))
        return (selection, pipeline)
    }

    /// The gRPC listeners the configuration asks for: the Open Inference Protocol on
    /// `grpc_port` (the serving port's TLS and authorization), and health alone, in plain gRPC,
    /// on `grpc_probe_port`.
    func grpcListeners(state: ServerState, requestPolicy: RequestPolicy?, startup: ListenerStartup) -> [any Service] {
        var listeners: [any Service] = []
        var config = HTTP2ServerTransport.Custom<GRPCListenerFactory>.Config.defaults
        // Warden's own limit is checked on the tensors (RESOURCE_EXHAUSTED, payload_too_large);
        // the transport's, twice as large, only stops a message before it is all in memory.
        config.rpc.maxRequestPayloadSize = 2 * configuration.limits.maxBodyBytes + (64 << 10)
        let health = GRPCHealthService(state: state)
        if let port = configuration.grpcPort {
            let (selection, pipeline) = inferencePath(state: state, requestPolicy: requestPolicy)
            let identities = GRPCPeerIdentities()
            let calls = GRPCCalls(
                identities: identities, authorization: configuration.tls == nil ? nil : configuration.authorization, logger: logger,
                metrics: metrics, servedModels: Set(state.repository.models.map(\.name)), tracing: configuration.otlpEndpoint != nil)
            let inference = GRPCInferenceService(
                state: state, pipeline: pipeline, selection: selection, calls: calls, limits: configuration.limits)
            let listener = GRPCListener(
                name: "grpc", factory: GRPCListenerFactory(host: configuration.host, port: port, tls: tlsMaterial, identities: identities),
                services: [inference, health], config: config, startup: startup, logger: logger)
            listeners.append(Listener(name: "grpc", address: "\(configuration.host):\(port)", server: listener, startup: startup))
        }
        if let port = configuration.grpcProbePort {
            let listener = GRPCListener(
                name: "grpc-probe",
                factory: GRPCListenerFactory(host: configuration.host, port: port, tls: nil, identities: GRPCPeerIdentities()),
                services: [health], config: config, startup: startup, logger: logger)
            listeners.append(Listener(name: "grpc-probe", address: "\(configuration.host):\(port)", server: listener, startup: startup))
        }
        return listeners
    }

    /// `telemetry` (the trace exporter) is listed first so it stops last, after the drained
    /// requests' spans are ended. `revocationTrust` is the trust policy the revocation list is
    /// checked against, `policyTrust` the one policy bundles are, both loaded by the caller
    /// (their keys may live in an HSM or KMS).
    public func makeServiceGroup(
        state: ServerState, requestPolicy: RequestPolicy? = nil, revocationTrust: TrustPolicy? = nil, policyTrust: TrustPolicy? = nil,
        telemetry: [any Service] = [], onServingPortBound: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> ServiceGroup {
        let killSwitch = requestPolicy.map { KillSwitchWatch(policy: $0, repository: state.repository, logger: logger) }
        var policyWatch: PolicyBundleWatch?
        if let settings = configuration.policyBundle {
            guard let policyTrust, let requestPolicy, let killSwitch else {
                throw ConfigurationError("policies.bundle: the trust policy \(settings.trustPolicyFile) was not loaded")
            }
            policyWatch = try PolicyBundleWatch(
                settings: settings, trust: policyTrust, policy: requestPolicy, killSwitch: killSwitch, state: state,
                tls: configuration.outboundTLS, observer: metrics.policy, logger: logger)
        }
        let limits = configuration.resilience.connections
        let resilienceMetrics = metrics.resilience
        let registry = ConnectionRegistry(limits: limits)
        let expectsHandshake = configuration.tls != nil
        let acceptGate = AcceptGate.Listener(admission: admission.admission)
        let http1 = HTTPServerBuilder.http1(
            configuration: .init(additionalChannelHandlers: [
                ConnectionHygieneHandler(
                    registry: registry, acceptGate: acceptGate, expectsHandshake: expectsHandshake,
                    onClose: { resilienceMetrics.connectionClosed($0) })
            ]))
        // The probe port: kubelet's questions only, with the same hygiene and a small cap.
        let probeRegistry = ConnectionRegistry(limits: .probe)
        let probeHTTP1 = HTTPServerBuilder.http1(
            configuration: .init(additionalChannelHandlers: [
                ConnectionHygieneHandler(
                    registry: probeRegistry, expectsHandshake: false, onClose: { resilienceMetrics.connectionClosed($0) })
            ]))
        var server = http1
        var tlsReload: TLSReloadService?
        if let tls = configuration.tls, let material = tlsMaterial {
            material.verifier.auditRefusals(to: logger)
            server = try .tls(
                http1,
                configuration: TLSChannelConfiguration(
                    tlsConfiguration: try tls.serverConfiguration(material), customAsyncVerificationCallback: material.verifier.verify))
            tlsReload = TLSReloadService(material: material, metrics: metrics, state: state, logger: logger)
        }
        let startup = ListenerStartup(
            listeners: ["serving", "probe"] + (configuration.grpcPort == nil ? [] : ["grpc"])
                + (configuration.grpcProbePort == nil ? [] : ["grpc-probe"]))
        let serving = Application(
            router: servingRouter(state: state, requestPolicy: requestPolicy, policyWatch: policyWatch),
            server: server,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                // The accept gate leaves clients it cannot admit in this backlog. A short one
                // bounds what is left there when an overload stops (requests of clients that
                // already left, read one by one before a new client); past it the kernel drops
                // SYNs, and clients retry their connect.
                backlog: AcceptGate.backlog,
                // The registry enforces the limit, evicting connections that proved nothing; this
                // backstop (twice as many) only keeps file descriptors bounded while it does.
                availableConnectionsDelegate: AcceptGate(
                    listener: acceptGate, maximumConnections: 2 * limits.maximumConnections, logger: logger)),
            onServerRunning: { channel in
                acceptGate.bound(channel)
                startup.markBound("serving")
                await onServingPortBound(channel.localAddress?.port ?? 0)
            },
            logger: logger)
        let probe = Application(
            router: ProbeRoutes.router(state: state),
            server: probeHTTP1,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.probePort),
                availableConnectionsDelegate: MaximumAvailableConnections(2 * ConnectionLimits.probe.maximumConnections, logger: logger)),
            onServerRunning: { _ in startup.markBound("probe") },
            logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = telemetry.map { .init(service: $0) }
        services += [
            // Before the listeners, so the engine's threads stop after the last request is answered.
            .init(service: EngineShutdownService(engine: admission.engine)),
            .init(
                service: Listener(
                    name: "probe", address: "\(configuration.host):\(configuration.probePort)", server: probe, startup: startup)),
            .init(
                service: Listener(
                    name: "serving", address: "\(configuration.host):\(configuration.port)", server: serving, startup: startup)),
        ]
        services += grpcListeners(state: state, requestPolicy: requestPolicy, startup: startup).map { .init(service: $0) }
        // The pollers: each cancels its sleep on graceful shutdown (PeriodicService). SIGHUP runs
        // the reloadable ones' checks at once.
        var pollers: [any Service] = []
        var reloads: [@Sendable () async -> Void] = []
        var beforeWarmUp: [@Sendable () async -> Void] = []
        if let policyWatch {
            // The first poll runs before warm-up: no version reports ready before a verified
            // bundle has been asked about it.
            beforeWarmUp.append { await policyWatch.check() }
            pollers.append(PolicyBundleWatchService(watch: policyWatch))
            reloads.append { await policyWatch.check() }
        } else if let requestPolicy, let killSwitch, let source = configuration.requestPolicy {
            beforeWarmUp.append { killSwitch.refresh() }
            let reload = PolicyReloadService(policy: requestPolicy, source: source, killSwitch: killSwitch, logger: logger)
            pollers.append(reload)
            reloads.append { await reload.check() }
        }
        if let tlsReload {
            pollers.append(tlsReload)
            reloads.append { tlsReload.check() }
        }
        if let outboundMaterial {
            let reload = TLSReloadService(
                material: outboundMaterial, metrics: metrics, state: state, logger: logger, names: ("outbound", "outbound_ca_bundle"))
            pollers.append(reload)
            reloads.append { reload.check() }
        }
        if let collector { pollers.append(TelemetryReachabilityService(reachability: collector)) }
        if let settings = configuration.revocation {
            guard let revocationTrust else {
                throw ConfigurationError("revocation: the trust policy \(settings.trustPolicyFile) was not loaded")
            }
            let watch = try RevocationWatch(
                settings: settings, policy: revocationTrust, served: state.repository.models, tls: configuration.outboundTLS,
                metrics: metrics.revocation, logger: logger)
            // The first check runs before warm-up; the poller takes over after one interval.
            beforeWarmUp.append { await watch.check() }
            pollers.append(RevocationWatchService(watch: watch))
        }
        let firstChecks = beforeWarmUp
        var warmUp = WarmUpService(state: state, startup: startup, logger: logger)
        warmUp.beforeWarmUp = { for check in firstChecks { await check() } }
        services.append(.init(service: warmUp, successTerminationBehavior: .ignore))
        if redactor.keyFile != nil {
            let reload = RedactionKeyReloadService(redactor: redactor, interval: configuration.secretReloadInterval, logger: logger)
            pollers.append(reload)
            reloads.append { reload.check() }
        }
        if let file = configuration.sourceFile, let releases = state.releases {
            reloads.append { releases.reload(fromConfigurationFile: file) { try ServeConfiguration(contentsOfFile: $0).releases } }
        }
        if let releases = state.releases { pollers.append(ReleaseAnalysisService(releases: releases)) }
        pollers.append(HangupReloadService(reloads: reloads, logger: logger))
        services += pollers.map { .init(service: $0, successTerminationBehavior: .ignore) }
        // The shutdown order, in one place: the group stops services last-listed first, so the
        // drain hears the signal before anything else (readiness false at once), then the
        // pollers stop, then the listeners finish their in-flight requests, then the engine,
        // and the trace exporter last, after the drained requests' spans have ended.
        services.append(.init(service: DrainService(state: state, delay: configuration.drainDelay, logger: logger)))
        var group = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.drainTimeout
        return ServiceGroup(configuration: group)
    }

    /// `outbound_tls` as TLS material: all three files, or none (the serving material is used).
    static func outboundSettings(_ outbound: OutboundTLSSettings) -> TLSSettings? {
        guard let certificate = outbound.certificateFile, let key = outbound.privateKeyFile, let bundle = outbound.caBundleFile else {
            return nil
        }
        var settings = TLSSettings(certificateFile: certificate, privateKeyFile: key, clientCABundleFile: bundle)
        settings.allowTLS12 = outbound.minimumVersion == .tlsv12
        return settings
    }
}
