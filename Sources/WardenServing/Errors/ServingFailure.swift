import WardenJSON

/// Why a request was refused: a code from the one catalogue (`Code`: its HTTP and gRPC status
/// and its title), and a message that describes the problem without echoing any of the
/// request's data.
public struct ServingFailure: Error, Sendable, Equatable {
    public let code: Code
    /// The code's HTTP status; an `http_error` carries the HTTP error's own.
    public let status: Int
    public let message: String
    /// Contract violations listed to the client (pointers and keywords, never values).
    public var violations: [ContractViolation] = []
    /// Violations and details for the log only: an output-contract failure is the server's
    /// fault, and its details are not the client's business.
    public var loggedViolations: [ContractViolation] = []
    public var internalDetail: String?
    /// Seconds after which a retry may succeed (the Retry-After header of a 503 or 429).
    public var retryAfterSeconds: Int?
    /// The version that refused, once a request has reached one: named in the response
    /// headers like a success, so a client can tell which artifact failed it.
    public var answeredBy: ServedModelIdentity? = nil
    /// False when the client caused the failure (a deadline it set itself): the canary
    /// analysis does not count it against the version.
    public var countsAgainstVersion = true

    public static func == (lhs: ServingFailure, rhs: ServingFailure) -> Bool {
        lhs.status == rhs.status && lhs.code == rhs.code && lhs.message == rhs.message && lhs.violations == rhs.violations
            && lhs.loggedViolations == rhs.loggedViolations && lhs.internalDetail == rhs.internalDetail
            && lhs.retryAfterSeconds == rhs.retryAfterSeconds
    }

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.status = code.httpStatus
        self.message = message
    }

    /// An HTTP-level refusal the framework raised (408, 411, 431…), with its own status.
    public init(httpStatus: Int, _ message: String) {
        self.code = .httpError
        self.status = httpStatus
        self.message = message
    }

    public static func badRequest(_ code: Code, _ message: String) -> ServingFailure {
        ServingFailure(code, message)
    }

    public static func notFound(_ message: String) -> ServingFailure {
        ServingFailure(.notFound, message)
    }

    /// The request's deadline passed before its answer was ready; any late result is discarded.
    public static let deadlineExceeded = ServingFailure(.deadlineExceeded, "the request's deadline passed before the model answered")

    public static let notReady = ServingFailure(.modelNotReady, "the model is not ready")

    /// The request body ended before its declared end, or could not be read at all.
    public static let incompleteBody = ServingFailure(
        .incompleteBody, "the request body could not be read to its end (malformed chunking or the client stopped)")

    public static func unsupportedMediaType(_ got: String?) -> ServingFailure {
        ServingFailure(
            .unsupportedMediaType,
            "Content-Type must be application/json (or application/octet-stream with Inference-Header-Content-Length)\(got == nil ? ", and none was given" : "")"
        )
    }

    public static func payloadTooLarge(limit: Int) -> ServingFailure {
        ServingFailure(.payloadTooLarge, "the request body is over the limit of \(limit) bytes")
    }

    public static func methodNotAllowed(_ method: String, allowed: [String]) -> ServingFailure {
        ServingFailure(.methodNotAllowed, "method \(method) is not allowed on this route (allowed: \(allowed.joined(separator: ", ")))")
    }

    /// The response body: the Open Inference Protocol's `{"error": ...}` that Triton and KServe
    /// clients read, plus the RFC 9457 problem fields.
    public func body(requestID: String) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("error", .string(message)),
            ("type", .string("https://warden.dev/problems/\(code.rawValue)")),
            ("title", .string(code.title)),
            ("status", .integer(Int64(status))),
            ("detail", .string(message)),
            ("code", .string(code.rawValue)),
            ("request_id", .string(requestID)),
        ]
        if !violations.isEmpty { members.append(("errors", .array(violations.map(\.json)))) }
        return .object(members)
    }
}
