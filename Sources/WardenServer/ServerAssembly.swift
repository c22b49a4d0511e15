import Logging
import ServiceLifecycle
import WardenServing
import WardenTrust

/// `warden serve` as one function: the configuration in, the server out — its state (models,
/// release plans, readiness), its metrics and the service group that runs it. A failure names
/// the step that failed, each its own startup event, so the caller logs it and exits.
public struct ServerAssembly {
    public let state: ServerState
    public let metrics: ServerMetrics
    public let group: ServiceGroup

    /// Why the server could not be put together, by step.
    public struct Failure: Error, CustomStringConvertible {
        public enum Step: String, Sendable {
            case models = "model_load_failed"
            case releases = "release_plan_invalid"
            case requestPolicy = "policy_load_failed"
            case revocationTrust = "revocation_trust_failed"
            case policyTrust = "policy_trust_failed"
            case services = "service_setup_failed"
        }

        public let step: Step
        public let underlying: any Error
        public var description: String { "\(underlying)" }
    }

    /// `telemetry`: the trace exporter's services (listed first, so they stop last). `keys`
    /// opens the revocation signers' keys when the trust policy names them in an HSM or KMS.
    public static func make(
        configuration: ServeConfiguration, logger: Logger, telemetry: [any Service] = [], keys: some KeyStore = FileKeyStore(),
        onServingPortBound: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws(Failure) -> ServerAssembly {
        func step<T>(_ step: Failure.Step, _ body: () throws -> T) throws(Failure) -> T {
            do { return try body() } catch { throw Failure(step: step, underlying: error) }
        }
        /// A trust policy the configuration names, loaded now (its keys may be in an HSM or KMS).
        func trust(_ file: String?, _ failing: Failure.Step) async throws(Failure) -> TrustPolicy? {
            guard let file else { return nil }
            do { return try await TrustPolicy(contentsOfFile: file, keys: keys) } catch { throw Failure(step: failing, underlying: error) }
        }
        let revocationTrust = try await trust(configuration.revocation?.trustPolicyFile, .revocationTrust)
        let policyTrust = try await trust(configuration.policyBundle?.trustPolicyFile, .policyTrust)
        let builder = try step(.models) { try WardenServerBuilder(configuration: configuration, logger: logger) }
        let repository = try step(.models) { try builder.loadRepository() }
        let releases = try step(.releases) { try builder.makeReleases(repository: repository) }
        let state = ServerState(repository: repository, releases: releases, readiness: configuration.readiness)
        let policy = try step(.requestPolicy) { () throws -> RequestPolicy? in
            if configuration.policyBundle != nil { return RequestPolicy(awaitingBundleWith: builder.metrics.policy) }
            return try configuration.requestPolicy.map { try RequestPolicy(source: $0, observer: builder.metrics.policy) }
        }
        let group = try step(.services) {
            try builder.makeServiceGroup(
                state: state, requestPolicy: policy, revocationTrust: revocationTrust, policyTrust: policyTrust, telemetry: telemetry,
                onServingPortBound: onServingPortBound)
        }
        return ServerAssembly(state: state, metrics: builder.metrics, group: group)
    }
}
