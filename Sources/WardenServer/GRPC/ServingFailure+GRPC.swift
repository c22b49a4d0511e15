import GRPCCore
import WardenServing

extension ServingFailure {
    /// The failure as a gRPC status: the catalogue's code, the same message as REST's `error`
    /// (naming the first contract violation by pointer, never a value), and trailing metadata
    /// with the stable Warden code and, for a shed request, when to retry
    /// (`grpc-retry-pushback-ms`, gRFC A6).
    var rpcError: RPCError {
        var metadata: Metadata = ["warden-error-code": .string(code.rawValue)]
        if let retryAfterSeconds { metadata.addString(String(retryAfterSeconds * 1000), forKey: "grpc-retry-pushback-ms") }
        if let model = answeredBy {
            metadata.addString(model.name, forKey: "warden-model")
            metadata.addString(model.version, forKey: "warden-model-version")
        }
        return RPCError(code: Self.grpcCode(code.grpcStatus), message: "\(code.rawValue): \(message)", metadata: metadata)
    }

    static func grpcCode(_ status: GRPCStatusCode) -> RPCError.Code {
        switch status {
        case .cancelled: .cancelled
        case .invalidArgument: .invalidArgument
        case .deadlineExceeded: .deadlineExceeded
        case .notFound: .notFound
        case .permissionDenied: .permissionDenied
        case .resourceExhausted: .resourceExhausted
        case .failedPrecondition: .failedPrecondition
        case .unimplemented: .unimplemented
        case .internalError: .internalError
        case .unavailable: .unavailable
        }
    }
}
