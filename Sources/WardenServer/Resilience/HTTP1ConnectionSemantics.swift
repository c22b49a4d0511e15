import NIOCore
import NIOHTTP1
import WardenServing

/// HTTP/1.x connection management as RFC 9112 says it, which the HTTP-types layer above
/// cannot see (it has no version, and reads only an exact `Connection: close`):
/// - a connection persists by default in HTTP/1.1, and closes after the response when the
///   request's Connection header lists the `close` token (in any position or case);
/// - an HTTP/1.0 connection closes after the response unless it asked for `keep-alive`;
/// - an HTTP/1.1 request without exactly one Host header is answered 400 and the connection
///   closed (§3.2), before anything else reads it.
/// Installed between NIO's HTTP/1 decoder and the HTTP-types codec.
final class HTTP1ConnectionSemantics: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Whether each request still awaiting its response lets the connection persist.
    private var persists: [Bool] = []
    /// A request was refused here: everything after it is dropped until the close.
    private var refused = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        if case let .head(head) = unwrapInboundIn(data) {
            if head.version.major == 1, head.version.minor >= 1, head.headers["host"].count != 1 {
                refused = true
                refuse(context, version: head.version)
                return
            }
            persists.append(Self.persists(head))
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case var .head(response) where persists.first == false:
            response.headers.replaceOrAdd(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .end where !persists.isEmpty:
            let closes = !persists.removeFirst()
            guard closes else { return context.write(data, promise: promise) }
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { _ in context.close(promise: nil) }
            written.futureResult.cascade(to: promise)
            context.writeAndFlush(data, promise: written)
        default:
            context.write(data, promise: promise)
        }
    }

    static func persists(_ head: HTTPRequestHead) -> Bool {
        let tokens = head.headers["connection"].flatMap { $0.split(separator: ",") }.map(HeaderToken.normalized)
        if tokens.contains("close") { return false }
        if head.version.major == 1, head.version.minor == 0 { return tokens.contains("keep-alive") }
        return head.version.major == 1
    }

    private func refuse(_ context: ChannelHandlerContext, version: HTTPVersion) {
        // Before routing, so written here, with the catalogue's code.
        let body =
            #"{"error":"an HTTP/1.1 request must carry exactly one Host header","code":""# + ServingFailure.Code.invalidHost.rawValue
            + #""}"#
        var headers = HTTPHeaders([("content-type", "application/json"), ("connection", "close")])
        headers.add(name: "content-length", value: String(body.utf8.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .badRequest, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
