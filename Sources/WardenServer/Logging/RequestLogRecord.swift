import Logging
import WardenServing

/// The only fields a request log line may carry. Log lines are built from this type alone, so
/// a payload, a header value or a token has no way into a log: there is no field for it.
public struct RequestLogRecord: Sendable, Equatable {
    public var requestID: String
    public var method: String
    /// The route pattern (`/v2/models/{model}/infer`), never the raw path.
    public var route: String
    public var model: String?
    public var version: String?
    public var status: Int
    public var latencyMilliseconds: Double
    /// The stable error code, for refused requests.
    public var errorCode: String?
    /// The client's SPIFFE ID, on the mTLS listener.
    public var client: String? = nil
    public var traceID: String? = nil
    public var spanID: String? = nil
    /// `grpc` for the gRPC listener; REST lines leave it out.
    public var wireProtocol: String? = nil

    public var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "request_id": .string(requestID),
            "method": .string(method),
            "route": .string(route),
            "status": .stringConvertible(status),
            "latency_ms": .string(String(format3: latencyMilliseconds)),
        ]
        if let model { metadata["model"] = .string(model) }
        if let version { metadata["version"] = .string(version) }
        if let errorCode { metadata["error_code"] = .string(errorCode) }
        if let client { metadata["client"] = .string(client) }
        if let traceID { metadata["trace_id"] = .string(traceID) }
        if let spanID { metadata["span_id"] = .string(spanID) }
        if let wireProtocol { metadata["protocol"] = .string(wireProtocol) }
        return metadata
    }
}
