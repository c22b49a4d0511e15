import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization
import WardenRegistry

/// Carries swift-otel's trace exports to the collector over Warden's outbound TLS. swift-otel
/// reads its TLS files once, when the exporter starts; this relay lets it export to a loopback
/// address in the same process and sends each export on with the outbound configuration as its
/// files stand — TLS 1.3, the CA bundle, the client certificate — so a rotated certificate is
/// used from the next export on. The loopback path carries a random token: nothing else on
/// the host can feed spans through it.
public final class OTLPRelay: Service {
    /// Where swift-otel exports: `http://127.0.0.1:PORT/TOKEN/v1/traces`.
    public let localEndpoint: String
    private let channel: any Channel

    static let maximumExportBytes = 8 << 20

    public init(collector: String, tls: OutboundTLSSettings, logger: Logger) throws {
        let token = (0..<2).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        let path = "/\(token)/v1/traces"
        let forward = Forwarder(collector: collector, tls: tls, logger: logger)
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RelayHandler(path: path, forward: forward))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        localEndpoint = "http://127.0.0.1:\(channel.localAddress?.port ?? 0)\(path)"
    }

    /// Listed before the trace exporter in the service group, so it stops after it: the
    /// exporter's last flush still goes through.
    public func run() async throws {
        try? await gracefulShutdown()
        try await channel.close()
    }

    /// Sends one export to the collector; answers the collector's status, or 502.
    struct Forwarder: Sendable {
        let collector: String
        let tls: OutboundTLSSettings
        let logger: Logger

        func send(_ body: ByteBuffer, contentType: String) async -> (HTTPResponseStatus, ByteBuffer) {
            do {
                let client = try OutboundHTTPClients.client(for: tls)
                var request = HTTPClientRequest(url: collector)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: contentType)
                request.body = .bytes(body)
                let response = try await client.execute(request, timeout: .seconds(5))
                let answer = try await response.body.collect(upTo: 1 << 20)
                return (response.status, answer)
            } catch {
                logger.warning("trace export failed", metadata: ["event": "otlp_export_failed", "reason": .string("\(error)")])
                return (.badGateway, ByteBuffer())
            }
        }
    }
}

/// One loopback connection from the exporter: each POST to the token path is forwarded, in
/// order; anything else is a 404.
private final class RelayHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let path: String
    let forward: OTLPRelay.Forwarder
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false

    init(path: String, forward: OTLPRelay.Forwarder) {
        self.path = path
        self.forward = forward
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(request):
            head = request
            body.clear()
            tooLarge = false
        case var .body(chunk):
            if body.readableBytes + chunk.readableBytes > OTLPRelay.maximumExportBytes { tooLarge = true } else { body.writeBuffer(&chunk) }
        case .end:
            guard let head else { return }
            self.head = nil
            guard head.method == .POST, head.uri == path, !tooLarge else {
                respond(context, head, tooLarge ? .payloadTooLarge : .notFound, ByteBuffer())
                return
            }
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            let (forward, body) = (forward, body)
            let contentType = head.headers.first(name: "Content-Type") ?? "application/x-protobuf"
            let answer = loop.makePromise(of: (HTTPResponseStatus, ByteBuffer).self)
            answer.completeWithTask { await forward.send(body, contentType: contentType) }
            answer.futureResult.whenSuccess { status, payload in
                let (handler, context) = bound.value
                handler.respond(context, head, status, payload)
            }
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ status: HTTPResponseStatus, _ body: ByteBuffer) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Content-Type", value: "application/x-protobuf")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
