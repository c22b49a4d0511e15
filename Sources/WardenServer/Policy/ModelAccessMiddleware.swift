import HTTPTypes
import Hummingbird
import WardenServing

/// The request policy on the model metadata routes (metadata, readiness, statistics): the same
/// question the pipeline asks an inference request, about the version that would answer it.
/// Inference routes pass through: the pipeline chooses their version once and asks there.
struct ModelAccessMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext
    let selection: VersionSelection

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let route = context.endpointPath ?? ""
        guard let name = context.parameters.get("model"), !route.hasSuffix("/infer"), !route.hasSuffix(":predict") else {
            return try await next(request, context)
        }
        let pinned = context.parameters.get("version")
        let routed =
            pinned == nil
            ? selection.routed(model: name, releaseClient: context.clientIdentity ?? context.requestID) { name in
                HTTPField.Name(name).flatMap { request.headers[$0] }
            } : nil
        let asker = VersionSelection.Asker(
            client: context.clientIdentity, requestID: context.requestID, route: "metadata", method: request.method.rawValue)
        _ = try selection.authorize(model: name, pinned: pinned, routed: routed, asker: asker)
        return try await next(request, context)
    }
}
