import Hummingbird

/// Answers 405 with an `Allow` header for the methods a known route does not take (RFC 9110),
/// instead of the router's 404.
enum MethodNotAllowed {
    static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .patch, .options]

    static func register<Context: RequestContext>(_ path: RouterPath, allowing allowed: [HTTPRequest.Method], on router: Router<Context>) {
        let names = allowed.map(\.rawValue)
        for method in methods where !allowed.contains(method) && !(method == .head && allowed.contains(.get)) {
            router.on(path, method: method) { request, _ -> Response in
                throw MethodNotAllowedError(method: request.method.rawValue, allowed: names)
            }
        }
    }
}

struct MethodNotAllowedError: Error {
    let method: String
    let allowed: [String]
}
