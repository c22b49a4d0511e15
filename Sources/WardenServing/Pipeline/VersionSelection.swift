import Foundation
import Logging
import WardenPolicy

/// Stage 1: the version that answers, chosen once. A pinned version is taken as named; an
/// unversioned request goes where the release plan sends it, else to the highest version that
/// serves. The request policy (kill switch) then judges that version: a client it refuses gets
/// 403 `policy_denied`; a version it switches off is skipped by an unversioned request as a
/// revoked one is, else 503 `version_disabled`. Last, the version must be able to answer.
package struct VersionSelection: Sendable {
    package let repository: ModelRepository
    package let releases: ReleaseManager?
    package let policy: RequestPolicy?
    package let logger: Logger

    package init(repository: ModelRepository, releases: ReleaseManager?, policy: RequestPolicy?, logger: Logger) {
        self.repository = repository
        self.releases = releases
        self.policy = policy
        self.logger = logger
    }

    /// Who asks, for the policy and the audit line.
    package struct Asker: Sendable {
        package var client: String?
        package var requestID: String
        /// `infer` or `metadata`, as the policy input names routes.
        package var route: String
        package var method: String

        package init(client: String?, requestID: String, route: String, method: String) {
            self.client = client
            self.requestID = requestID
            self.route = route
            self.method = method
        }
    }

    /// The version the release plan picks for an unversioned request (nil without a plan).
    package func routed(model: String, releaseClient: String, header: (String) -> String?) -> String? {
        releases?.route(model: model, client: releaseClient, header: header)
    }

    /// The version an inference request goes to, ready to answer, or the refusal.
    package func select(
        model name: String, pinned: String?, routed: String?, asker: Asker
    ) throws(ServingFailure) -> ServedModel {
        let version = try authorize(model: name, pinned: pinned, routed: routed, asker: asker)
        let model = try repository.servedModel(name, version: version)
        if model.isWithdrawn {
            var error = ServingFailure(.modelRevoked, "this model version is revoked or not proven unrevoked")
            error.retryAfterSeconds = 60
            throw error
        }
        if model.isKilled { throw ServingFailure(.versionDisabled, "this model version is switched off") }
        guard model.isReady else { throw ServingFailure.notReady }
        return model
    }

    /// The trace attributes naming the signed bundle that decided.
    private static func policyAttributes(_ decision: RequestPolicy.Decision) -> [(String, String)] {
        guard let bundle = decision.provenance else { return [] }
        return [("warden.policy.revision", String(bundle.revision)), ("warden.policy.digest", bundle.digest)]
    }

    /// Asks the request policy about the version that would answer; returns the version to use
    /// (another one when an unversioned request skips a switched-off version). Metadata routes
    /// of a switched-off version still answer: they say it is killed.
    package func authorize(model name: String, pinned: String?, routed: String?, asker: Asker) throws(ServingFailure) -> String? {
        let version = pinned ?? routed ?? repository.model(name)?.version
        guard let policy else { return pinned ?? routed }
        let ask = { (version: String?) in
            RequestPhase.run("authz", annotating: Self.policyAttributes) {
                policy.decide(
                    RequestPolicy.input(model: name, version: version, route: asker.route, method: asker.method, client: asker.client))
            }
        }
        var decision = ask(version)
        if decision.allow || (decision.versionBlocked && asker.route == "metadata") { return pinned ?? routed }
        if decision.versionBlocked, pinned == nil {
            let others = repository.versions(of: name).reversed().filter {
                $0 != version && repository.model(name, version: $0)?.isReady == true
            }
            for other in others {
                let answer = ask(other)
                if answer.allow { return other }
                // A version that serves but refuses this client: the refusal is about the client.
                if !answer.versionBlocked { decision = answer }
            }
        }
        // The model name is client text: named only when it is a served model.
        let served = repository.models.contains { $0.name == name } ? name : nil
        AuditEvent.policyDenied(
            requestID: asker.requestID, route: asker.route, model: served, client: asker.client, reasons: decision.reasons,
            policy: decision.provenance
        ).log(to: logger)
        if decision.versionBlocked { throw ServingFailure(.versionDisabled, "this model version is switched off") }
        throw ServingFailure(.policyDenied, "the request policy does not allow this request")
    }
}
