import Hummingbird
import NIOCore
import WardenJSON

/// Turns every thrown error into a standard problem response (OIP `error` + RFC 9457 fields).
/// Unexpected errors become a 500 whose body says nothing about their cause.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServingError {
            return Self.response(error, context: context)
        } catch let error as HTTPError {
            let serving: ServingError
            switch error.status.code {
            case 404: serving = .notFound("no such route")
            case 405: serving = .methodNotAllowed(request.method.rawValue)
            case 413: serving = .payloadTooLarge(limit: context.maxUploadSize)
            default: serving = ServingError(status: error.status.code, code: "http_error", error.status.reasonPhrase)
            }
            return Self.response(serving, context: context)
        } catch {
            context.logger.error("internal error", metadata: ["request_id": .string(context.requestID)])
            return Self.response(ServingError(status: 500, code: "internal_error", "internal error"), context: context)
        }
    }

    static func response(_ error: ServingError, context: Context) -> Response {
        var writer = JSONWriter()
        writer.value(error.body(requestID: context.requestID))
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        headers[.requestID] = context.requestID
        headers[.wardenErrorCode] = error.code
        if error.status == 503 { headers[.retryAfter] = "1" }
        return Response(
            status: .init(code: error.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }
}
