import Synchronization
import WardenServing

/// What a request came to, shared by the handler and the middleware around it (the request log
/// line, the metrics, the trace span): the version that answered or refused, and the error
/// code. One box per request, in its context; the middleware read it after `next` returns.
final class RequestOutcome: Sendable {
    private let state = Mutex<(model: ServedModelIdentity?, errorCode: String?, bodyRead: Bool)>((nil, nil, false))

    var model: ServedModelIdentity? { state.withLock { $0.model } }
    var errorCode: String? { state.withLock { $0.errorCode } }
    /// Whether the handler started reading the request body (a refusal before that leaves it
    /// unread on the connection).
    var bodyRead: Bool { state.withLock { $0.bodyRead } }

    func readingBody() { state.withLock { $0.bodyRead = true } }

    func answered(by model: ServedModelIdentity) { state.withLock { $0.model = model } }

    func refused(_ error: ServingFailure) {
        state.withLock {
            $0.errorCode = error.code.rawValue
            if let model = error.answeredBy { $0.model = model }
        }
    }
}
