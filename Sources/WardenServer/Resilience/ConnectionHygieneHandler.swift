import HTTPTypes
import NIOCore
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOTLS
import WardenServing

/// Closes connections that hold the server without finishing their requests: no TLS handshake
/// within the handshake timeout, no complete request head within the header timeout
/// (slowloris), a body not finished within the body timeout (slow body), no new request within
/// the idle timeout; and ends a connection after its request budget. Every deadline is a
/// whole-phase deadline, not an idle one: a client that sends one byte a second still runs out
/// of time. Each connection is admitted by the listener's registry first (per-source and total
/// caps, evicting the oldest connection that has proven nothing).
final class ConnectionHygieneHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Phase { case awaitingHead, readingBody, handling }

    private let limits: ConnectionLimits
    private let registry: ConnectionRegistry
    /// Behind TLS, the first deadline is the handshake's; the header timer starts after it.
    private let expectsHandshake: Bool
    private let onClose: @Sendable (ConnectionCloseReason) -> Void
    private var phase = Phase.awaitingHead
    private var requests = 0
    private var responsesPending = 0
    private var timer: Scheduled<Void>?
    /// The serving listener's gate, told when this connection's first request comes in.
    private let acceptGate: AcceptGate.Listener?
    private var awaitingFirstHead = false
    /// Until when the gate counts this connection as arriving: a client sends its head within
    /// milliseconds; one that does not (slowloris) must not hold the gate shut.
    private var arrivalGrace: Scheduled<Void>?

    init(
        registry: ConnectionRegistry, acceptGate: AcceptGate.Listener? = nil, expectsHandshake: Bool,
        onClose: @escaping @Sendable (ConnectionCloseReason) -> Void
    ) {
        self.limits = registry.limits
        self.registry = registry
        self.acceptGate = acceptGate
        self.expectsHandshake = expectsHandshake
        self.onClose = onClose
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // RFC 9112 connection semantics need the HTTP/1 version, which only NIO's own request
        // head carries: installed in front of the HTTP-types codec.
        if let codec = try? context.pipeline.syncOperations.handler(type: HTTP1ToHTTPServerCodec.self) {
            try? context.pipeline.syncOperations.addHandler(HTTP1ConnectionSemantics(), position: .before(codec))
        }
        if let acceptGate {
            acceptGate.connectionStarted()
            awaitingFirstHead = true
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            arrivalGrace = context.eventLoop.scheduleTask(in: AcceptGate.arrivalGrace) {
                handler.value.firstHeadArrived()
            }
        }
        switch registry.admit(context.channel) {
        case let .refused(reason):
            onClose(reason)
            context.close(promise: nil)
            return
        case .admitted(evicted: true): onClose(.evicted)
        case .admitted(evicted: false): break
        }
        if expectsHandshake {
            arm(context, limits.handshakeTimeout, .handshakeTimeout)
        } else {
            arm(context, limits.headerTimeout, .headerTimeout)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        registry.closed(context.channel)
        firstHeadArrived()
        if responsesPending > 0 { acceptGate?.requestsEnded(responsesPending) }
    }

    private func firstHeadArrived() {
        guard awaitingFirstHead else { return }
        awaitingFirstHead = false
        arrivalGrace?.cancel()
        arrivalGrace = nil
        acceptGate?.connectionArrived()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if expectsHandshake, case .handshakeCompleted = event as? TLSUserEvent {
            registry.authenticated(context.channel)
            if phase == .awaitingHead, requests == 0 { arm(context, limits.headerTimeout, .headerTimeout) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            if !expectsHandshake, requests == 0 { registry.authenticated(context.channel) }
            firstHeadArrived()
            acceptGate?.requestStarted()
            requests += 1
            responsesPending += 1
            phase = .readingBody
            arm(context, limits.bodyTimeout, .bodyTimeout)
        case .body: break
        case .end:
            if responsesPending == 0 {
                // Already answered (a refusal before the body was read): wait for the next request.
                phase = .awaitingHead
                arm(context, limits.idleTimeout, .idleTimeout)
            } else {
                phase = .handling
                disarm()
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case var .head(response) where requests >= limits.maximumRequestsPerConnection:
            response.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .end where responsesPending == 0:
            // A second end for a refusal written before its request's body was read (Hummingbird
            // finishes the response writer again when the request is done): nothing to count.
            context.write(data, promise: promise)
        case .end:
            responsesPending -= 1
            acceptGate?.requestsEnded(1)
            if requests >= limits.maximumRequestsPerConnection, responsesPending == 0 {
                onClose(.requestLimit)
                let written = context.eventLoop.makePromise(of: Void.self)
                written.futureResult.whenComplete { _ in context.close(promise: nil) }
                written.futureResult.cascade(to: promise)
                context.writeAndFlush(data, promise: written)
                return
            }
            context.write(data, promise: promise)
            // A response that ends before its request was read in full (a refusal) keeps the
            // body timer running; otherwise the next request must arrive within the idle timeout.
            if phase == .handling, responsesPending == 0 {
                phase = .awaitingHead
                arm(context, limits.idleTimeout, .idleTimeout)
            }
        default:
            context.write(data, promise: promise)
        }
    }

    private func arm(_ context: ChannelHandlerContext, _ timeout: Duration, _ reason: ConnectionCloseReason) {
        timer?.cancel()
        let onClose = onClose
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: TimeAmount(timeout)) {
            onClose(reason)
            context.close(promise: nil)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}

/// Why the server closed a connection, as a metric label.
enum ConnectionCloseReason: String, Sendable {
    case handshakeTimeout = "handshake_timeout"
    case sourceLimit = "source_limit"
    case connectionLimit = "connection_limit"
    /// An unproven connection closed to make room for a new one at the connection limit.
    case evicted = "evicted"
    case headerTimeout = "header_timeout"
    case bodyTimeout = "body_timeout"
    case idleTimeout = "idle_timeout"
    case requestLimit = "request_limit"
}
