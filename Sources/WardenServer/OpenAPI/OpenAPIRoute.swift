import Hummingbird
import NIOCore

/// `GET /openapi.json`: the committed OpenAPI 3.1 description of Warden's HTTP API
/// (Sources/WardenServer/OpenAPI/openapi.json, embedded at build time).
enum OpenAPIRoute {
    static let path = "/openapi.json"

    static func register(on router: Router<WardenRequestContext>) {
        MethodNotAllowed.register(RouterPath(path), allowing: [.get], on: router)
        router.get(RouterPath(path)) { _, context in
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[.requestID] = context.requestID
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_json)))
        }
    }
}
