import GRPCCore
import WardenServing

/// The deadline a gRPC client set (`grpc-timeout`: up to 8 digits and a unit, H M S m u n), as
/// the pipeline takes a REST client's `Request-Timeout`: it bounds the work, and a malformed one
/// is refused rather than ignored.
enum GRPCTimeout {
    static func read(_ metadata: Metadata) throws(ServingFailure) -> Duration? {
        guard let text = metadata.firstString("grpc-timeout") else { return nil }
        guard (2...9).contains(text.utf8.count), let unit = text.last, let amount = Int64(text.dropLast()), amount > 0 else {
            throw ServingFailure.badRequest(.invalidTimeout, "grpc-timeout must be 1 to 8 digits and a unit (H, M, S, m, u, n)")
        }
        switch unit {
        case "H": return .seconds(amount * 3600)
        case "M": return .seconds(amount * 60)
        case "S": return .seconds(amount)
        case "m": return .milliseconds(amount)
        case "u": return .microseconds(amount)
        case "n": return .nanoseconds(amount)
        default: throw ServingFailure.badRequest(.invalidTimeout, "grpc-timeout must be 1 to 8 digits and a unit (H, M, S, m, u, n)")
        }
    }
}
