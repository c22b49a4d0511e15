import HTTPTypes
import WardenServing

/// The deadline a client asks for over HTTP, in milliseconds: `Warden-Timeout-Ms`, or the
/// `X-Envoy-Expected-Rq-Timeout-Ms` an Envoy gateway sets on what it forwards. The shorter
/// wins; it can only shorten the server's deadline, never extend it.
enum RequestedTimeout {
    static func read(_ headers: HTTPFields) throws(ServingFailure) -> Duration? {
        var timeout: Duration?
        for name in [HTTPField.Name.wardenTimeout, .envoyExpectedTimeout] {
            guard let text = headers[name] else { continue }
            guard let milliseconds = Int(text), milliseconds > 0 else {
                throw ServingFailure.badRequest(.invalidTimeout, "\(name) must be a positive number of milliseconds")
            }
            timeout = min(timeout ?? .milliseconds(milliseconds), .milliseconds(milliseconds))
        }
        return timeout
    }
}

extension HTTPField.Name {
    static let wardenTimeout = Self("Warden-Timeout-Ms")!
    static let envoyExpectedTimeout = Self("X-Envoy-Expected-Rq-Timeout-Ms")!
}
