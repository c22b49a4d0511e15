import Crypto
import Foundation
import NIOSSL
import Synchronization
import WardenRegistry
import X509

/// The serving certificate, its key and the client trust bundle, as files a secrets agent
/// (cert-manager, spiffe-helper, Vault Agent) rewrites by atomic rename. `reload()` re-reads
/// them when their contents change; new handshakes then use the new material (the certificate
/// and key through NIOSSL's per-handshake context callback, the bundle through
/// `PeerVerifier`) and established connections keep theirs. A file that does not parse leaves
/// the last good material in force.
public final class TLSMaterial: Sendable {
    struct Loaded: Sendable {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        let serverNotAfter: Date
        let bundleNotAfter: Date
        let fingerprint: [UInt8]
    }

    public enum Change: Sendable, Equatable {
        case rotated(serverNotAfter: Date, bundleNotAfter: Date)
        case failed(String)
    }

    let settings: TLSSettings
    let verifier: PeerVerifier
    private let current: Mutex<Loaded>
    private let clientContexts = Mutex<(fingerprint: [UInt8], context: NIOSSLContext)?>(nil)

    public init(settings: TLSSettings) throws {
        self.settings = settings
        let loaded = try Self.load(settings)
        verifier = PeerVerifier(bundle: try PeerVerifier.readBundle(settings.clientCABundleFile))
        current = Mutex(loaded)
    }

    /// Seconds until the serving certificate and the earliest bundle certificate expire.
    public var expiry: (server: Date, bundle: Date) { current.withLock { ($0.serverNotAfter, $0.bundleNotAfter) } }

    /// Re-reads the files; nil when nothing changed.
    public func reload() -> Change? {
        guard let fingerprint = try? Self.fingerprint(settings), fingerprint != current.withLock({ $0.fingerprint }) else { return nil }
        do {
            let loaded = try Self.load(settings)
            verifier.replaceBundle(try PeerVerifier.readBundle(settings.clientCABundleFile))
            current.withLock { $0 = loaded }
            return .rotated(serverNotAfter: loaded.serverNotAfter, bundleNotAfter: loaded.bundleNotAfter)
        } catch {
            return .failed("\(error)")
        }
    }

    /// A client context for Warden's outbound calls: the current certificate and key, rebuilt
    /// when they rotate. Peer verification is the caller's (a custom callback), so no roots.
    func clientContext() throws -> NIOSSLContext {
        let loaded = current.withLock { $0 }
        if let cached = clientContexts.withLock({ $0 }), cached.fingerprint == loaded.fingerprint { return cached.context }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = loaded.chain.map { .certificate($0) }
        configuration.privateKey = .privateKey(loaded.key)
        configuration.minimumTLSVersion = settings.allowTLS12 ? .tlsv12 : .tlsv13
        configuration.certificateVerification = .noHostnameVerification
        let context = try NIOSSLContext(configuration: configuration)
        clientContexts.withLock { $0 = (loaded.fingerprint, context) }
        return context
    }

    /// The certificate chain and key in force now.
    var serving: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) { current.withLock { ($0.chain, $0.key) } }

    /// What each handshake serves: the current certificate chain and key.
    func contextOverride() -> NIOSSLContextConfigurationOverride {
        let loaded = current.withLock { $0 }
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = loaded.chain.map { .certificate($0) }
        override.privateKey = .privateKey(loaded.key)
        return override
    }

    private static func fingerprint(_ settings: TLSSettings) throws -> [UInt8] {
        var hash = SHA256()
        for path in [settings.certificateFile, settings.privateKeyFile, settings.clientCABundleFile] {
            guard let data = FileManager.default.contents(atPath: path) else { throw IdentityError("cannot read \(path)") }
            hash.update(data: data)
        }
        return Array(hash.finalize())
    }

    private static func load(_ settings: TLSSettings) throws -> Loaded {
        let fingerprint = try fingerprint(settings)
        // An agent renames the certificate and the key one after the other: a pair that does
        // not match yet is not loaded (the next check picks up the finished pair).
        let credentials = try PEMCredentials(certificateFile: settings.certificateFile, privateKeyFile: settings.privateKeyFile)
        let bundle = try PeerVerifier.readBundle(settings.clientCABundleFile)
        return Loaded(
            chain: credentials.chain, key: credentials.key, serverNotAfter: credentials.leaf.notValidAfter,
            bundleNotAfter: bundle.map(\.notValidAfter).min() ?? .distantFuture, fingerprint: fingerprint)
    }
}
