import HTTPTypes
import Hummingbird
import WardenServing

/// Chooses, once per request, the version an unversioned model request goes to under the
/// model's release plan; the request policy and the inference route both read that choice.
struct ReleaseRoutingMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext

    let releases: ReleaseManager

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let model = context.parameters.get("model"), context.parameters.get("version") == nil else {
            return try await next(request, context)
        }
        var context = context
        context.routedVersion = releases.route(model: model, client: context.releaseClient) { name in
            HTTPField.Name(name).flatMap { request.headers[$0] }
        }
        return try await next(request, context)
    }
}
