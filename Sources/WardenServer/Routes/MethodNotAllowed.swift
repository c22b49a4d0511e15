import Hummingbird

/// Answers 405 with an `Allow` header for the methods a known route does not take (RFC 9110),
/// instead of the router's 404.
enum MethodNotAllowed {
    /// Every method a client may send to a route; QUERY is the safe-body method of the
    /// httpbis draft, which fuzzers and newer clients already use.
    static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .patch, .options, .trace, HTTPRequest.Method("QUERY")!]

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
