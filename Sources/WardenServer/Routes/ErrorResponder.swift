import Hummingbird
import NIOCore
import WardenJSON
import WardenServing

/// Turns every thrown error into a standard problem response (OIP `error` + RFC 9457 fields).
/// Unexpected errors become a 500 whose body says nothing about their cause.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServingFailure {
            if error.status >= 500, error.internalDetail != nil || !error.loggedViolations.isEmpty {
                // Pointers and keywords only: what the model produced is never logged.
                context.logger.error(
                    "\(error.code.rawValue)",
                    metadata: [
                        "request_id": .string(context.requestID), "code": .string(error.code.rawValue),
                        "detail": .string(error.internalDetail ?? ""),
                        "violations": .array(error.loggedViolations.map { .string("\($0.pointer) \($0.keyword)") }),
                    ])
            }
            return Self.response(error, request: request, context: context)
        } catch let error as MethodNotAllowedError {
            var response = Self.response(.methodNotAllowed(error.method, allowed: error.allowed), request: request, context: context)
            response.headers[.allow] = error.allowed.joined(separator: ", ")
            return response
        } catch let error as HTTPError {
            return Self.response(Self.servingFailure(error, maxUploadSize: context.maxUploadSize), request: request, context: context)
        } catch {
            context.logger.error("internal error", metadata: ["request_id": .string(context.requestID)])
            return Self.response(ServingFailure(.internalError, "internal error"), request: request, context: context)
        }
    }

    /// An HTTP-level refusal (no such route, a body over the limit, the framework's own 4xx) in
    /// the catalogue's terms.
    static func servingFailure(_ error: HTTPError, maxUploadSize: Int) -> ServingFailure {
        switch error.status.code {
        case 404: .notFound("no such route")
        case 413: .payloadTooLarge(limit: maxUploadSize)
        default: ServingFailure(httpStatus: error.status.code, error.status.reasonPhrase)
        }
    }

    static func isShedding(_ error: ServingFailure) -> Bool {
        [.overloaded, .clientQuotaExceeded, .deadlineExceeded].contains(error.code)
    }

    /// Bodies above this are not drained after a shed: about what one socket read brings in.
    static let drainedBodyLimit = 16 << 10

    static func hasLargeBody(_ request: Request) -> Bool {
        if let length = request.headers[.contentLength] { return (Int(length) ?? Int.max) > drainedBodyLimit }
        return request.headers[.transferEncoding] != nil
    }

    /// RFC 9457's media type when the client asks for it; plain JSON otherwise, which is what
    /// Triton's and KServe's clients parse error messages from.
    static func mediaType(for request: Request) -> String {
        (request.headers[.accept] ?? "").contains("application/problem+json") ? "application/problem+json" : "application/json"
    }

    static func response(_ error: ServingFailure, request: Request, context: Context) -> Response {
        var writer = JSONWriter()
        writer.value(error.body(requestID: context.requestID))
        var headers: HTTPFields = [.contentType: mediaType(for: request)]
        headers[.requestID] = context.requestID
        headers[.wardenErrorCode] = error.code.rawValue
        context.outcome.refused(error)
        if let model = error.answeredBy { headers.name(model) }
        if let seconds = error.retryAfterSeconds {
            headers[.retryAfter] = String(seconds)
        } else if error.status == 503 {
            headers[.retryAfter] = "1"
        }
        // After refusing a body that is too large, stop reading it: close the connection. The
        // same for a request shed before its big body was read (overload, quota, a deadline
        // spent queueing): draining megabytes to refuse them would take the core the admitted
        // ones need, and a client that ignores Retry-After pays a reconnection instead. A small
        // body is drained (it is likely read already): reconnecting would cost more.
        if error.status == 413 || (Self.isShedding(error) && !context.outcome.bodyRead && Self.hasLargeBody(request)) {
            headers[.connection] = "close"
            context.closeConnectionAfterResponse()
        }
        return Response(
            status: .init(code: error.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }
}
