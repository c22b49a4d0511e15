import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage, the id the request is known by in
/// logs, responses and traces, and the connection it came on.
public struct WardenRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let requestID: String
    /// The connection, to close it after refusing a body that is too large to read.
    let channel: (any Channel)?
    /// The client's SPIFFE ID, once mutual TLS establishes it (nil on plain connections).
    var clientIdentity: String? = nil
    /// The W3C trace and span ids of the request's server span, for its log line (nil when
    /// tracing is off).
    var trace: TraceIdentifiers? = nil
    /// What the request came to, for the middleware around the handler.
    let outcome = RequestOutcome()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        requestID = RequestIdentifier.make()
        channel = source.channel
    }

    /// Closes the connection once the current response is written, instead of reading (and
    /// discarding) the rest of a request body: the quiesce event makes Hummingbird's connection
    /// handler close after the response.
    func closeConnectionAfterResponse() {
        channel?.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }

    /// Bodies are collected by the inference handlers against their own limit.
    public var maxUploadSize: Int { 64 << 20 }
}

/// Request ids: 16 random hex digits, unique enough to correlate and free of client data.
enum RequestIdentifier {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
