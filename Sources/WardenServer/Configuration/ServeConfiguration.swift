import Foundation
import WardenConfig
import WardenRegistry
import WardenServing
import Yams

/// Everything `warden serve` needs, from a YAML file (`--config`) or from flags.
public struct ServeConfiguration: Sendable {
    /// One model to serve: an artifact directory, with optional name and version overrides.
    public typealias ModelSource = WardenServing.ModelSource

    public var host = "127.0.0.1"
    public var port = 8080
    /// Plain-HTTP port for the kubelet's liveness and readiness probes.
    public var probePort = 8081
    /// The Open Inference Protocol over gRPC, on its own port with the serving port's TLS (nil:
    /// no gRPC listener; 0 picks a free port).
    public var grpcPort: Int?
    /// Plain gRPC with `grpc.health.v1` alone, for Kubernetes' gRPC probes (which speak no TLS).
    public var grpcProbePort: Int?
    public var limits = ServingLimits()
    public var models: [ModelSource] = []
    /// `all` or `any` model servable for Ready (nil: all for one model, any for several).
    public var readiness: Readiness?
    /// Time between readiness turning false and the listeners closing, for load balancers to notice.
    public var drainDelay: Duration = .zero
    /// Longest a graceful shutdown may take before in-flight work is cancelled.
    public var drainTimeout: Duration = .seconds(25)
    public var logLevel = "info"
    /// Production mode: every model must be pinned and installed by `warden fetch`, and its
    /// directory must not be writable.
    public var hardened = false
    /// Refuse to start unless every runtime hardening check passes (non-root, no_new_privs,
    /// no capabilities, seccomp, read-only root and models, no secret in the environment).
    public var requireHardenedRuntime = false
    /// The per-request policy (kill switch) from files, if any.
    public var requestPolicy: RequestPolicySource?
    /// The per-request policy from signed bundles polled from a registry, if any (instead of files).
    public var policyBundle: PolicyBundleSettings?
    /// Rego startup gate files, re-evaluated over each model's receipt before it is loaded.
    public var startupGateFiles: [String] = []
    public var startupGateV0Compatible = false
    /// Key for `x-warden-redact: hash` (at least 32 bytes). Without it, hashes are keyed per
    /// process and do not correlate across restarts or replicas.
    public var redactionKeyFile: String?
    /// How often secret files are checked for a new version.
    public var secretReloadInterval: Duration = .seconds(5)
    /// OTLP/HTTP traces endpoint (`http://collector:4318/v1/traces`); no tracing without it.
    public var otlpEndpoint: String?
    /// Share of new traces sampled (a caller's sampling decision is followed). One in ten by
    /// default: full observability then costs about 5% of throughput, every trace about 40%.
    public var traceSamplingRatio = 0.1
    /// Mutual TLS on the serving listener, and who may call what over it.
    public var tls: TLSSettings?
    public var authorization = Authorization(rules: [])
    /// Serve plain HTTP: local development only, refused in hardened mode.
    public var insecurePlaintext = false
    /// Plain HTTP on an address other than loopback: a second, deliberate opt-in.
    public var insecurePlaintextAnyAddress = false
    /// The admin routes without a client identity (plain HTTP has none): a deliberate opt-in.
    public var insecureAdminWithoutIdentity = false
    /// Admission, deadlines, quotas and connection limits on the serving listener.
    public var resilience = ResilienceSettings()
    /// The Feature Retrieval Proxy, for models whose contract has a `feature_store`.
    public var featureProxy: FeatureProxySettings?
    /// Live revocation: the signed list polled while serving.
    public var revocation: RevocationWatchSettings?
    /// Roots, client certificate and minimum TLS version for Warden's own outbound calls.
    public var outboundTLS: OutboundTLSSettings?
    /// Release plans (stable, canary, weights, analysis), one per model at most.
    public var releases: [ReleasePlan] = []
    /// The file this configuration was read from: SIGHUP re-reads its `releases:`.
    public var sourceFile: String?

    public init() {}

    /// Reads a YAML configuration. Unknown keys are errors: a misspelt limit must not be ignored.
    public init(yaml text: String) throws {
        guard let root = try Yams.load(yaml: text) as? [String: Any] else {
            throw ConfigurationError("the configuration must be a YAML mapping")
        }
        var reader = StrictMapping(root, path: "")
        if var listen = try reader.mapping("listen") {
            host = try listen.string("host") ?? host
            port = try listen.port("port") ?? port
            probePort = try listen.port("probe_port") ?? probePort
            grpcPort = try listen.port("grpc_port") ?? grpcPort
            grpcProbePort = try listen.port("grpc_probe_port") ?? grpcProbePort
            insecurePlaintext = try listen.bool("insecure_plaintext") ?? insecurePlaintext
            insecurePlaintextAnyAddress = try listen.bool("insecure_plaintext_any_address") ?? insecurePlaintextAnyAddress
            insecureAdminWithoutIdentity = try listen.bool("insecure_admin_without_identity") ?? insecureAdminWithoutIdentity
            try listen.finish()
        }
        if var limitsMap = try reader.mapping("limits") {
            limits.maxBodyBytes = try limitsMap.positiveInt("max_body_bytes") ?? limits.maxBodyBytes
            limits.json.maxDepth = try limitsMap.positiveInt("max_json_depth") ?? limits.json.maxDepth
            limits.json.maxStringBytes = try limitsMap.positiveInt("max_string_bytes") ?? limits.json.maxStringBytes
            limits.requireContentType = try limitsMap.bool("require_content_type") ?? limits.requireContentType
            try limitsMap.finish()
        }
        if let text = try reader.string("readiness") {
            guard let value = Readiness(rawValue: text) else { throw ConfigurationError("readiness must be all or any") }
            readiness = value
        }
        if var shutdown = try reader.mapping("shutdown") {
            drainDelay = try shutdown.seconds("drain_delay_seconds") ?? drainDelay
            drainTimeout = try shutdown.seconds("drain_timeout_seconds") ?? drainTimeout
            try shutdown.finish()
        }
        if var policies = try reader.mapping("policies") {
            if var request = try policies.mapping("request") {
                requestPolicy = RequestPolicySource(
                    files: try request.strings("files") ?? [], dataFiles: try request.strings("data") ?? [],
                    v0Compatible: try request.bool("v0_compatible") ?? false,
                    reloadInterval: try request.seconds("reload_interval_seconds") ?? .milliseconds(200))
                try request.finish()
            }
            if var bundle = try policies.mapping("bundle") {
                policyBundle = try PolicyBundleSettings(reading: &bundle)
                guard requestPolicy == nil else {
                    throw ConfigurationError("policies: request (files) and bundle are two sources of one policy; give one")
                }
            }
            if var startup = try policies.mapping("startup") {
                startupGateFiles = try startup.strings("files") ?? []
                startupGateV0Compatible = try startup.bool("v0_compatible") ?? false
                try startup.finish()
            }
            try policies.finish()
        }
        if var security = try reader.mapping("security") {
            hardened = try security.bool("hardened") ?? hardened
            requireHardenedRuntime = try security.bool("require_hardened") ?? requireHardenedRuntime
            redactionKeyFile = try security.string("redaction_key_file") ?? redactionKeyFile
            secretReloadInterval = try security.seconds("secret_reload_interval_seconds") ?? secretReloadInterval
            try security.finish()
        }
        if var tlsMap = try reader.mapping("tls") {
            func required(_ key: String) throws -> String {
                guard let value = try tlsMap.string(key) else { throw ConfigurationError("tls.\(key) is required") }
                return value
            }
            tls = TLSSettings(
                certificateFile: try required("certificate"), privateKeyFile: try required("private_key"),
                clientCABundleFile: try required("client_ca_bundle"), allowTLS12: try tlsMap.bool("allow_tls12") ?? false)
            if let interval = try tlsMap.seconds("reload_interval_seconds") { tls?.reloadInterval = interval }
            try tlsMap.finish()
        }
        if var outbound = try reader.mapping("outbound_tls") { outboundTLS = try Self.outboundTLS(reading: &outbound) }
        if var authorizationMap = try reader.mapping("authorization") {
            authorization.rules = try authorizationMap.mappings("rules").map { entry in
                var rule = entry
                let routes = try (rule.strings("routes") ?? Authorization.RouteClass.byDefault.map(\.rawValue)).map { name in
                    guard let route = Authorization.RouteClass(rawValue: name) else {
                        throw ConfigurationError(
                            "\(rule.path).routes: '\(name)' is not one of infer, metadata, metrics, openapi, admin, explain")
                    }
                    return route
                }
                let allow = try (rule.strings("allow") ?? []).map { text in
                    do {
                        return try IdentityPattern(parsing: text)
                    } catch {
                        throw ConfigurationError("\(rule.path).allow: '\(text)': \(error)")
                    }
                }
                guard !allow.isEmpty else { throw ConfigurationError("\(rule.path).allow must name at least one SPIFFE ID") }
                let parsed = Authorization.Rule(routes: Set(routes), models: Set(try rule.strings("models") ?? []), allow: allow)
                try rule.finish()
                return parsed
            }
            try authorizationMap.finish()
        }
        if var resilienceMap = try reader.mapping("resilience") { try resilience.read(&resilienceMap) }
        if var proxy = try reader.mapping("feature_proxy") { featureProxy = try FeatureProxySettings(reading: &proxy) }
        if var watch = try reader.mapping("revocation") { revocation = try RevocationWatchSettings(reading: &watch) }
        releases = try reader.mappings("releases").map { entry in
            var plan = entry
            return try ReleasePlan(reading: &plan)
        }
        if var telemetry = try reader.mapping("telemetry") {
            otlpEndpoint = try telemetry.string("otlp_endpoint")
            if let ratio = try telemetry.number("trace_sampling_ratio") {
                guard (0...1).contains(ratio) else { throw ConfigurationError("telemetry.trace_sampling_ratio must be in 0...1") }
                traceSamplingRatio = ratio
            }
            try telemetry.finish()
        }
        if var logging = try reader.mapping("logging") {
            logLevel = try logging.string("level") ?? logLevel
            try logging.finish()
        }
        models = try reader.mappings("models").map { entry in
            var model = entry
            let source = ModelSource(
                directory: try model.string("directory") ?? { throw ConfigurationError("\(model.path): \"directory\" is required") }(),
                name: try model.string("name"), version: try model.versionString("version"),
                expectedDigest: try model.string("expected_digest"))
            try model.finish()
            return source
        }
        try reader.finish()
        guard !models.isEmpty else { throw ConfigurationError("\"models\" must list at least one model") }
    }

    /// `outbound_tls:` — the roots, client certificate and minimum version of every client
    /// Warden runs (the registry for live revocation, the OTLP exporter, the feature proxy).
    static func outboundTLS(reading map: inout StrictMapping) throws -> OutboundTLSSettings {
        var settings = OutboundTLSSettings(
            caBundleFile: try map.string("ca_bundle"), certificateFile: try map.string("certificate"),
            privateKeyFile: try map.string("private_key"))
        switch try map.string("min_version") ?? "1.3" {
        case "1.3": settings.minimumVersion = .tlsv13
        case "1.2": settings.minimumVersion = .tlsv12
        case let other: throw ConfigurationError("outbound_tls.min_version must be 1.2 or 1.3, not \(other)")
        }
        try map.finish()
        do { try settings.validate() } catch { throw ConfigurationError("outbound_tls: \(error)") }
        return settings
    }

    /// The serving listener's transport, checked before anything starts: mutual TLS, or plain
    /// HTTP only when asked for by name and never in hardened mode.
    public func checkTransport() throws {
        switch (tls, insecurePlaintext) {
        case (nil, false):
            throw ConfigurationError(
                "the serving port needs mutual TLS (tls: certificate, private_key, client_ca_bundle; or --tls-cert, --tls-key, --client-ca), "
                    + "or --insecure-plaintext for local development")
        case (_?, true):
            throw ConfigurationError("tls and insecure_plaintext exclude each other")
        case (nil, true) where hardened:
            throw ConfigurationError("hardened mode refuses --insecure-plaintext: the serving port must be mutual TLS")
        case (nil, true) where !Self.isLoopback(host) && !insecurePlaintextAnyAddress:
            throw ConfigurationError(
                "plain HTTP on \(host) would serve the network without identity or encryption: listen on 127.0.0.1, "
                    + "or add --insecure-plaintext-any-address (listen.insecure_plaintext_any_address) to mean it")
        case (nil, _) where featureProxy != nil:
            throw ConfigurationError("the feature proxy is called over mutual TLS: configure tls (Warden's certificate and trust bundle)")
        case (_?, false) where authorization.rules.isEmpty:
            throw ConfigurationError("mutual TLS needs authorization rules (deny by default: with none, no client may call anything)")
        default:
            return
        }
    }

    /// Loopback addresses: plain HTTP there reaches only this host.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// The secrets this configuration reads from files, by name: the only way Warden takes
    /// secrets (never from the environment, never from the command line).
    public var secretFiles: [(name: String, path: String)] {
        var secrets: [(String, String)] = []
        if let tls { secrets.append(("tls_private_key", tls.privateKeyFile)) }
        if let redactionKeyFile { secrets.append(("redaction_key", redactionKeyFile)) }
        return secrets
    }

    /// Secret names also set in the environment (as NAME or WARDEN_NAME, upper case): a sign
    /// that a deployment passes a secret where any child process, crash dump or `env` can read
    /// it. Hardened mode refuses to start; otherwise the caller warns.
    public func secretsInEnvironment(_ environment: [String: String]) throws -> [String] {
        let found = secretFiles.flatMap { secret in
            [secret.name.uppercased(), "WARDEN_" + secret.name.uppercased()].filter { environment[$0] != nil }
        }
        if hardened, !found.isEmpty {
            throw ConfigurationError(
                "hardened mode: \(found.joined(separator: ", ")) set in the environment; secrets come from files only")
        }
        return found
    }

    public init(contentsOfFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("cannot read \(path)")
        }
        try self.init(yaml: text)
        sourceFile = path
    }
}
