import WardenJSON

/// Why a request was refused. Each case has a stable machine `code` — the same string in the
/// response body, the log line and the metric label — an HTTP status, and a message that
/// describes the problem without echoing any of the request's data.
public struct ServingError: Error, Sendable, Equatable {
    public let status: Int
    public let code: String
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
    public var answeredBy: (name: String, version: String, digest: String)? = nil
    /// False when the client caused the failure (a deadline it set itself): the canary
    /// analysis does not count it against the version.
    public var countsAgainstVersion = true

    public static func == (lhs: ServingError, rhs: ServingError) -> Bool {
        lhs.status == rhs.status && lhs.code == rhs.code && lhs.message == rhs.message && lhs.violations == rhs.violations
            && lhs.loggedViolations == rhs.loggedViolations && lhs.internalDetail == rhs.internalDetail
            && lhs.retryAfterSeconds == rhs.retryAfterSeconds
    }

    public init(status: Int, code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public static func badRequest(_ code: String, _ message: String) -> ServingError {
        ServingError(status: 400, code: code, message)
    }

    public static func notFound(_ message: String) -> ServingError {
        ServingError(status: 404, code: "not_found", message)
    }

    /// The request's deadline passed before its answer was ready; any late result is discarded.
    public static let deadlineExceeded = ServingError(
        status: 504, code: "deadline_exceeded", "the request's deadline passed before the model answered")

    public static let notReady = ServingError(status: 503, code: "model_not_ready", "the model is not ready")

    /// The request body ended before its declared end, or could not be read at all.
    public static let incompleteBody = ServingError(
        status: 400, code: "incomplete_body", "the request body could not be read to its end (malformed chunking or the client stopped)")

    public static func unsupportedMediaType(_ got: String?) -> ServingError {
        ServingError(
            status: 415, code: "unsupported_media_type",
            "Content-Type must be application/json (or application/octet-stream with Inference-Header-Content-Length)\(got == nil ? ", and none was given" : "")"
        )
    }

    public static func payloadTooLarge(limit: Int) -> ServingError {
        ServingError(status: 413, code: "payload_too_large", "the request body is over the limit of \(limit) bytes")
    }

    public static func methodNotAllowed(_ method: String, allowed: [String]) -> ServingError {
        ServingError(
            status: 405, code: "method_not_allowed",
            "method \(method) is not allowed on this route (allowed: \(allowed.joined(separator: ", ")))")
    }

    static let reasonPhrases: [Int: String] = [
        400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
        413: "Content Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Content",
        429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable", 504: "Gateway Timeout",
    ]

    /// The response body: the Open Inference Protocol's `{"error": ...}` that Triton and KServe
    /// clients read, plus the RFC 9457 problem fields.
    public func body(requestID: String) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("error", .string(message)),
            ("type", .string("https://warden.dev/problems/\(code)")),
            ("title", .string(Self.reasonPhrases[status] ?? "Error")),
            ("status", .integer(Int64(status))),
            ("detail", .string(message)),
            ("code", .string(code)),
            ("request_id", .string(requestID)),
        ]
        if !violations.isEmpty { members.append(("errors", .array(violations.map(\.json)))) }
        return .object(members)
    }
}
