import GRPCNIOTransportHTTP2Posix
import NIOCore
import NIOPosix
import NIOSSL

/// The gRPC listener's sockets: bound to the configured address, each connection behind the
/// serving listener's own TLS (TLS 1.3 unless 1.2 is allowed, a client certificate checked by
/// `PeerVerifier` and its SPIFFE ID recorded, the certificate rotated in place), then handed
/// to gRPC's HTTP/2 pipeline. gRPC's stock listener allows TLS 1.2 and fixes its certificate
/// at start, which the REST listener does not: this keeps the two exactly alike.
struct GRPCListenerFactory: HTTP2ServerTransport.ListenerFactory {
    let host: String
    let port: Int
    let tls: TLSMaterial?
    let identities: GRPCPeerIdentities
    var eventLoopGroup: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    func makeListeningChannel(
        listenerConfigurator: HTTP2ServerTransport.ListenerConfigurator,
        connectionConfigurator: HTTP2ServerTransport.ConnectionConfigurator
    ) async throws -> NIOAsyncChannel<HTTP2ServerTransport.ConnectionConfigurator.ConnectionChannel, Never> {
        var context: NIOSSLContext?
        if let tls {
            var configuration = try tls.settings.serverConfiguration(tls)
            configuration.applicationProtocols = ["h2"]
            context = try NIOSSLContext(configuration: configuration)
        }
        let verifier = tls?.verifier
        let identities = identities
        return try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { listenerConfigurator.configure(channel: $0) }
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let context, let verifier else { return }
                    let handler = NIOSSLServerHandler(context: context) { certificates, promise in
                        promise.completeWithTask { await verifier.verify(certificates) }
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHandler(identities.recorder())
                }.flatMap {
                    connectionConfigurator.configure(channel: channel, tls: context == nil ? .none : .configured(requireALPN: false))
                }
            }
    }
}
