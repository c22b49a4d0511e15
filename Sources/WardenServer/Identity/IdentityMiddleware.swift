import Hummingbird
import NIOSSL
import WardenServing
import X509

/// On the mTLS listener: reads the client's SPIFFE ID from the certificate the handshake
/// verified, so every later step (authorization, the request policy, the log line, the span)
/// knows who is calling. Runs first, before anything reads the request.
struct PeerIdentityMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.clientIdentity = await Self.peerIdentity(context)?.description
        return try await next(request, context)
    }

    static func peerIdentity(_ context: Context) async -> SPIFFEID? {
        guard let channel = context.channel,
            let certificate = try? await channel.pipeline.handler(type: NIOSSLServerHandler.self).get().peerCertificate,
            let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der)
        else { return nil }
        return try? PeerVerifier.spiffeID(of: parsed)
    }
}

/// Deny by default: a request the authorization rules do not grant to the client's SPIFFE ID
/// is refused with 403 `identity_not_allowed` before the request policy, the body or the engine.
struct AuthorizationMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext
    let authorization: Authorization

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let route = context.endpointPath ?? "unmatched"
        // The path's model name is client text; rules only compare it with their own names.
        let model = context.parameters.get("model")
        try RequestPhase.run("authz.identity") {
            guard let text = context.clientIdentity, let id = try? SPIFFEID(parsing: text),
                authorization.allows(id, route: route, model: model)
            else {
                throw ServingFailure(.identityNotAllowed, "this client identity may not call this route")
            }
        }
        return try await next(request, context)
    }
}

/// On a plain-HTTP listener nobody has an identity, so the admin routes (which change what
/// is served) are refused unless the operator opted in (`--insecure-admin-without-identity`).
struct AdminNeedsIdentityMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Authorization.RouteClass.of(route: context.endpointPath ?? request.uri.path) == .admin {
            throw ServingFailure(.identityNotAllowed, "the admin routes need a client identity (mutual TLS); this listener is plain HTTP")
        }
        return try await next(request, context)
    }
}
