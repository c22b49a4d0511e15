import NIOCore
import NIOSSL
import NIOTLS
import Synchronization
import X509

/// The SPIFFE ID each gRPC connection proved in its TLS handshake, by the peer address gRPC
/// names it with (`ipv4:HOST:PORT`): the gRPC handlers see that address, not the channel. Set
/// when the handshake completes, removed when the connection closes.
final class GRPCPeerIdentities: Sendable {
    private let identities = Mutex<[String: String]>([:])

    func identity(ofPeer peer: String) -> String? { identities.withLock { $0[peer] } }

    fileprivate func set(_ identity: String?, for peer: String) { identities.withLock { $0[peer] = identity } }

    /// gRPC's own spelling of a peer address.
    static func peerName(_ address: SocketAddress?) -> String? {
        switch address {
        case let .v4(ip)?: "ipv4:\(ip.host):\(address?.port ?? 0)"
        case let .v6(ip)?: "ipv6:[\(ip.host)]:\(address?.port ?? 0)"
        default: nil
        }
    }

    /// The handler that records a connection's identity; after the TLS handler in the pipeline.
    func recorder() -> some ChannelInboundHandler { Recorder(identities: self) }

    private final class Recorder: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny
        let identities: GRPCPeerIdentities
        var peer: String?

        init(identities: GRPCPeerIdentities) { self.identities = identities }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .handshakeCompleted = event as? TLSUserEvent,
                let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
                let der = try? tls.peerCertificate?.toDERBytes(), let certificate = try? Certificate(derEncoded: der),
                let id = try? PeerVerifier.spiffeID(of: certificate), let name = GRPCPeerIdentities.peerName(context.channel.remoteAddress)
            {
                peer = name
                identities.set(id.description, for: name)
            }
            context.fireUserInboundEventTriggered(event)
        }

        func channelInactive(context: ChannelHandlerContext) {
            if let peer { identities.set(nil, for: peer) }
            context.fireChannelInactive()
        }
    }
}
