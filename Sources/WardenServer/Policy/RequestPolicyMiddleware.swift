import Foundation
import Hummingbird
import Logging
import WardenPolicy
import WardenServing

/// The kill switch: every model route asks `data.serving.request.allow` with the client, the
/// model and the version that would answer (the release plan's pick for unversioned requests),
/// the route and the time. A denial is a 403 `policy_denied` (this client may not), or a 503
/// `version_disabled` when the policy also says `version_blocked` (the version is switched off
/// for this request) and no other version may answer an unversioned request; metadata routes
/// of a switched-off version still answer (they report it killed). The policy's reasons go to
/// the log line only.
struct RequestPolicyMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext
    let policy: RequestPolicy
    let repository: ModelRepository
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let name = context.parameters.get("model") else { return try await next(request, context) }
        var context = context
        let pinned = context.parameters.get("version")
        // The release plan chose already (ReleaseRoutingMiddleware): one choice per request.
        let version = pinned ?? context.routedVersion ?? repository.model(name)?.version
        let route =
            (context.endpointPath ?? "").hasSuffix("/infer") || (context.endpointPath ?? "").hasSuffix(":predict") ? "infer" : "metadata"
        let ask = { (version: String?) in
            try RequestPhase.run("authz") {
                policy.decide(Self.input(request, context, model: name, version: version, route: route))
            }
        }
        let decision = try ask(version)
        // A switched-off version is off for inference; its metadata and readiness still
        // answer, and say it is killed. A refused client is refused everywhere.
        if decision.allow || (decision.versionBlocked && route == "metadata") { return try await next(request, context) }
        // An unversioned request skips a switched-off version as it skips a revoked one: the
        // next version that serves and that the policy allows answers instead.
        if decision.versionBlocked, pinned == nil {
            let others = repository.versions(of: name).reversed().filter {
                $0 != version && repository.model(name, version: $0)?.isReady == true
            }
            for other in others where try ask(other).allow {
                context.routedVersion = other
                return try await next(request, context)
            }
        }
        // The path's model name is client text: named only when it is a served model.
        let served = repository.models.contains { $0.name == name } ? name : nil
        AuditEvent.policyDenied(
            requestID: context.requestID, route: route, model: served, client: context.clientIdentity, reasons: decision.reasons
        ).log(to: logger)
        if decision.versionBlocked {
            throw ServingFailure(.versionDisabled, "this model version is switched off")
        }
        throw ServingFailure(.policyDenied, "the request policy does not allow this request")
    }

    /// The policy's input: the client, the model and the version that would answer, the route,
    /// the method and the time.
    static func input(_ request: Request, _ context: Context, model name: String, version: String?, route: String) -> Value {
        Value.makeObject([
            (
                key: .string("client"),
                value: .object([(key: .string("spiffe_id"), value: context.clientIdentity.map(Value.string) ?? .null)])
            ),
            (
                key: .string("model"),
                value: .makeObject([
                    (key: .string("name"), value: .string(name)), (key: .string("version"), value: version.map(Value.string) ?? .null),
                ])
            ),
            (key: .string("route"), value: .string(route)),
            (key: .string("method"), value: .string(request.method.rawValue)),
            (key: .string("time_ns"), value: .integer(Int64(Date().timeIntervalSince1970 * 1_000_000_000))),
        ])
    }
}
