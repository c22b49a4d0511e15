import Hummingbird
import NIOCore
import WardenServing

extension Request {
    /// The whole body, at most `limit` bytes. Every way it can fail is the client's: too large
    /// is 413, a body that breaks off (bad chunking, a disconnect, the slow-body timeout) is
    /// 400 `incomplete_body` — never a 5xx for the alerts and the canary analysis to count.
    func collectBody(limit: Int) async throws(ServingFailure) -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw ServingFailure.payloadTooLarge(limit: limit)
        } catch {
            throw ServingFailure.incompleteBody
        }
    }
}
