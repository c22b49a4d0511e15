import NIOSSL
import WardenServing

/// The serving listener's mutual TLS: Warden's certificate and key, and the trust bundle
/// (SPIFFE bundle, PEM) client certificates must chain to.
public struct TLSSettings: Sendable, Equatable {
    public var certificateFile: String
    public var privateKeyFile: String
    public var clientCABundleFile: String
    /// TLS 1.3 only unless this is set.
    public var allowTLS12 = false
    /// How often the files are checked for a rotation.
    public var reloadInterval: Duration = .seconds(5)

    public init(certificateFile: String, privateKeyFile: String, clientCABundleFile: String, allowTLS12: Bool = false) {
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.clientCABundleFile = clientCABundleFile
        self.allowTLS12 = allowTLS12
    }

    /// A server configuration that requires a client certificate; the chain and the SPIFFE ID
    /// are checked by `PeerVerifier`, BoringSSL's own check being replaced by it.
    func serverConfiguration(_ material: TLSMaterial) throws -> TLSConfiguration {
        // The pair `material` loaded and checked, not a second read of files that may be mid-rotation.
        let (chain, key) = material.serving
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.certificateVerification = .noHostnameVerification
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCABundleFile))
        configuration.minimumTLSVersion = allowTLS12 ? .tlsv12 : .tlsv13
        // Every handshake serves the current certificate and key: rotation needs no restart.
        configuration.sslContextCallback = { _, promise in promise.succeed(material.contextOverride()) }
        return configuration
    }
}
