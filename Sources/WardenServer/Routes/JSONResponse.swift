import Hummingbird
import NIOCore
import WardenJSON
import WardenServing

/// A JSON answer carrying the request id, for the metadata and admin routes.
enum JSONResponse {
    static func make(_ value: JSONValue, _ context: WardenRequestContext, status: HTTPResponse.Status = .ok) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[.requestID] = context.requestID
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.serialized())))
    }
}
