import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// HTTP/1.1 over mutual TLS to one peer, for Warden's outbound calls. Warden presents its own
/// (rotating) certificate; the peer must present a chain to the trust bundle, a certificate for
/// server authentication, and exactly the pinned SPIFFE ID — its hostname plays no part, as in
/// SPIFFE. Connections are kept alive and reused; each call has a timeout.
final class OutboundClient: Sendable {
    struct Response: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]
    }

    enum Failure: Error, Sendable, Equatable {
        case connect(String)
        case timeout
        case closed
    }

    let host: String
    let port: Int
    let pinnedID: SPIFFEID
    private let material: TLSMaterial
    private let group: any EventLoopGroup
    private let idle = Mutex<[PooledConnection]>([])
    /// Kept-alive connections beyond this are closed after their response.
    static let maximumIdle = 16

    init(
        host: String, port: Int, pinnedID: SPIFFEID, material: TLSMaterial,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.host = host
        self.port = port
        self.pinnedID = pinnedID
        self.material = material
        self.group = group
    }

    /// POSTs `body` to `path`; fails with `Failure.timeout` when the answer takes longer than `timeout`.
    func post(path: String, body: [UInt8], headers: HTTPFields, timeout: Duration) async throws -> Response {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let connection = try await take(deadline: deadline)
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(body.count))
        for field in headers { head.headers.add(name: field.name.rawName, value: field.value) }
        let response = try await connection.exchange(head: head, body: body, deadline: deadline)
        if response.keepAlive { give(connection) } else { connection.channel.close(promise: nil) }
        return Response(status: response.status, headers: response.headers, body: response.body)
    }

    private func take(deadline: NIODeadline) async throws -> PooledConnection {
        while let connection = idle.withLock({ $0.popLast() }) {
            if connection.channel.isActive { return connection }
        }
        return try await connect(deadline: deadline)
    }

    private func give(_ connection: PooledConnection) {
        let kept = idle.withLock { idle in
            guard idle.count < Self.maximumIdle else { return false }
            idle.append(connection)
            return true
        }
        if !kept { connection.channel.close(promise: nil) }
    }

    private func connect(deadline: NIODeadline) async throws -> PooledConnection {
        let context = try material.clientContext()
        let verifier = material.verifier
        let pinned = pinnedID
        let collector = ResponseCollector()
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(max(.milliseconds(1), deadline - .now()))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tls = try NIOSSLClientHandler(context: context, serverHostname: nil) { chain, promise in
                        promise.completeWithTask { await Self.verify(chain, verifier: verifier, pinned: pinned) }
                    }
                    try channel.pipeline.syncOperations.addHandler(tls)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
        do {
            let channel = try await bootstrap.connect(host: host, port: port).get()
            return PooledConnection(channel: channel, collector: collector)
        } catch {
            throw Failure.connect("\(error)")
        }
    }

    /// The peer's chain against the live trust bundle, as a server, and its ID against the pin.
    static func verify(_ chain: [NIOSSLCertificate], verifier: PeerVerifier, pinned: SPIFFEID) async -> NIOSSLVerificationResult {
        do {
            let der = try chain.map { try $0.toDERBytes() }
            return try await verifier.identity(ofChain: der, role: .server) == pinned ? .certificateVerified : .failed
        } catch {
            return .failed
        }
    }
}

/// A kept-alive connection and the handler that collects its responses.
struct PooledConnection: Sendable {
    let channel: any Channel
    let collector: ResponseCollector

    func exchange(head: HTTPRequestHead, body: [UInt8], deadline: NIODeadline) async throws -> ResponseCollector.Collected {
        let promise = channel.eventLoop.makePromise(of: ResponseCollector.Collected.self)
        let timer = channel.eventLoop.scheduleTask(deadline: deadline) {
            promise.fail(OutboundClient.Failure.timeout)
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        let collector = collector
        channel.eventLoop.execute {
            collector.expect(promise)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
        return try await promise.futureResult.get()
    }
}

/// Collects one response at a time and completes the promise of the request that asked for it.
final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    struct Collected: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]
        let keepAlive: Bool
    }

    /// Touched only on the channel's event loop.
    private var promise: EventLoopPromise<Collected>?
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    /// A peer's answer to a feature lookup is small; anything larger is refused.
    static let maximumBody = 4 << 20

    func expect(_ promise: EventLoopPromise<Collected>) {
        self.promise = promise
        head = nil
        body = []
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(response): head = response
        case var .body(buffer):
            guard body.count + buffer.readableBytes <= Self.maximumBody else {
                fail(OutboundClient.Failure.closed)
                context.close(promise: nil)
                return
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            promise?.succeed(Collected(status: Int(head.status.code), headers: head.headers, body: body, keepAlive: head.isKeepAlive))
            promise = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(OutboundClient.Failure.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        promise?.fail(error)
        promise = nil
    }
}
