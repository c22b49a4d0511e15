import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import X509

/// Why a server's certificate did not verify. BoringSSL reports only "verify failed"; this
/// connects once more without verifying, reads the chain the server presents, and names the
/// problem: a certificate expired or not yet valid, or an issuer outside the trusted CAs. Runs
/// only after a refusal, and never lets the connection carry a request.
enum TLSDiagnosis {
    static func diagnose(host: String, port: Int, trustedCABundle: String?) async -> String? {
        guard let chain = await presentedChain(host: host, port: port), let leaf = chain.first else { return nil }
        let now = Date()
        for certificate in chain {
            if certificate.notValidAfter < now {
                return "the certificate '\(certificate.subject)' expired at \(certificate.notValidAfter.ISO8601Format())"
            }
            if certificate.notValidBefore > now {
                return "the certificate '\(certificate.subject)' is not valid before \(certificate.notValidBefore.ISO8601Format())"
            }
        }
        let trusted = trustedCABundle.flatMap { try? NIOSSLCertificate.fromPEMFile($0) }?.compactMap {
            try? Certificate(derEncoded: $0.toDERBytes())
        }
        let issuers = Set(chain.map(\.issuer))
        if let trusted, !trusted.contains(where: { issuers.contains($0.subject) }) {
            return
                "the server's certificate '\(leaf.subject)' is issued by '\(chain.last?.issuer.description ?? "?")', not by a CA in \(trustedCABundle ?? "the bundle")"
        }
        return nil
    }

    /// The chain the server presents, read without verifying it (nil when it cannot be read).
    private static func presentedChain(host: String, port: Int) async -> [Certificate]? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        guard let context = try? NIOSSLContext(configuration: configuration) else { return nil }
        let captured = Mutex<[NIOSSLCertificate]>([])
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(
                        context: context, serverHostname: nil,
                        customVerificationCallback: { certificates, promise in
                            captured.withLock { $0 = certificates }
                            promise.succeed(.certificateVerified)
                        })
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        guard let channel = try? await bootstrap.connect(host: host, port: port).get() else { return nil }
        // The verification callback runs during the handshake; give it a moment, then close.
        for _ in 0..<50 where captured.withLock({ $0.isEmpty }) { try? await Task.sleep(for: .milliseconds(20)) }
        try? await channel.close()
        let certificates = captured.withLock { $0 }
        return certificates.isEmpty ? nil : certificates.compactMap { try? Certificate(derEncoded: $0.toDERBytes()) }
    }
}
