import Foundation
import Hummingbird
import NIOCore
import WardenConfig
import WardenServing

/// The release admin endpoint (route class `admin`, granted only by a rule that names it):
/// the plans and what the analysis sees, a new plan for a model, and a manual rollback or
/// promotion. Every change is an audit event naming the client that made it, and answers with
/// the model's plan as it now stands — the same shape as `GET /admin/releases/{model}`.
struct AdminRoutes {
    let releases: ReleaseManager
    static let maxPlanBytes = 64 << 10

    func register(on router: Router<WardenRequestContext>) {
        router.get("/admin/releases") { _, context in JSONResponse.make(releases.snapshot(), context) }
        router.get("/admin/releases/{model}") { _, context in
            try Self.plan(of: context.parameters.get("model") ?? "", in: releases, context)
        }
        router.put("/admin/releases/{model}") { request, context in
            let model = context.parameters.get("model") ?? ""
            let (plan, reason) = try await Self.plan(request, model: model)
            do {
                try releases.replace(plan, by: Self.actor(context), reason: reason ?? "a new plan from the admin endpoint")
            } catch let error as ConfigurationError {
                throw ServingFailure(.invalidReleasePlan, error.description)
            }
            return try Self.plan(of: model, in: releases, context)
        }
        router.post("/admin/releases/{model}/rollback") { request, context in
            let reason = try await Self.reason(request) ?? "rolled back by the admin endpoint"
            return try change(context) { releases.rollback(model: $0, actor: $1, reason: reason) }
        }
        router.post("/admin/releases/{model}/promote") { request, context in
            let reason = try await Self.reason(request) ?? "promoted by the admin endpoint"
            return try change(context) { releases.promote(model: $0, actor: $1, reason: reason) }
        }
        MethodNotAllowed.register("/admin/releases", allowing: [.get], on: router)
        MethodNotAllowed.register("/admin/releases/{model}", allowing: [.get, .put], on: router)
        MethodNotAllowed.register("/admin/releases/{model}/rollback", allowing: [.post], on: router)
        MethodNotAllowed.register("/admin/releases/{model}/promote", allowing: [.post], on: router)
    }

    /// Who made a change, for the audit trail: the caller's SPIFFE ID.
    static func actor(_ context: WardenRequestContext) -> String { context.clientIdentity ?? "anonymous" }

    static let maxReasonLength = 256

    /// The reason an admin gives, from an optional body `{"reason": "..."}`.
    static func reason(_ request: Request) async throws -> String? {
        let body = try await request.collectBody(limit: maxPlanBytes)
        guard body.readableBytes > 0 else { return nil }
        guard let fields = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any],
            Set(fields.keys).isSubset(of: ["reason"])
        else { throw ServingFailure.badRequest(.invalidRequest, "the body may only be {\"reason\": \"...\"}") }
        return try fields["reason"].map(Self.validReason)
    }

    /// A reason is short, single-line text: it goes into an audit line.
    static func validReason(_ value: Any) throws -> String {
        // Counted in code points, as JSON Schema's maxLength counts (the OpenAPI document's).
        guard let text = value as? String, !text.isEmpty, text.unicodeScalars.count <= maxReasonLength,
            !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw ServingFailure.badRequest(.invalidRequest, "reason must be one line of at most \(maxReasonLength) characters")
        }
        return text
    }

    /// A manual step on a canary in progress; 409 when the model has none.
    func change(_ context: WardenRequestContext, _ action: (String, String) -> Void) throws -> Response {
        let model = context.parameters.get("model") ?? ""
        guard releases.isProgressing(model: model) else {
            throw ServingFailure(.noCanaryInProgress, "this model has no canary in progress")
        }
        action(model, Self.actor(context))
        return try Self.plan(of: model, in: releases, context)
    }

    /// One model's plan, or 404 `release_plan_not_found`.
    static func plan(of model: String, in releases: ReleaseManager, _ context: WardenRequestContext) throws -> Response {
        guard let plan = releases.snapshot(model: model) else {
            throw ServingFailure(.releasePlanNotFound, "this model has no release plan")
        }
        return JSONResponse.make(plan, context)
    }

    /// The body: a plan as JSON (`stable`, `canary`, `steps`, `split`, `analysis`), for the
    /// path's model, and the optional `reason` for the audit trail.
    static func plan(_ request: Request, model: String) async throws -> (ReleasePlan, reason: String?) {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
            throw ServingFailure.unsupportedMediaType(request.headers[.contentType])
        }
        let body = try await request.collectBody(limit: maxPlanBytes)
        guard var fields = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] else {
            throw ServingFailure.badRequest(.invalidJSON, "the body must be a JSON object")
        }
        if let named = fields["model"] as? String, named != model {
            throw ServingFailure(.invalidReleasePlan, "the body names another model than the path")
        }
        fields["model"] = model
        let reason = try fields.removeValue(forKey: "reason").map(Self.validReason)
        var map = StrictMapping(fields, path: "release")
        do {
            return (try ReleasePlan(reading: &map), reason)
        } catch let error as ConfigurationError {
            throw ServingFailure(.invalidReleasePlan, error.description)
        }
    }
}
