import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// How Warden's clients speak TLS to what they call (the registry, the OTLP collector, the
/// feature proxy): the CA bundle to trust instead of the system roots, the client certificate
/// and key to present (mutual TLS), and the lowest protocol version (TLS 1.3 unless lowered).
/// The server's name is checked against the URL's host. Files are read when a connection
/// pool is made, so a rotated certificate is used from the next pool on.
public struct OutboundTLSSettings: Sendable, Equatable {
    public var caBundleFile: String?
    public var certificateFile: String?
    public var privateKeyFile: String?
    public var minimumVersion: TLSVersion = .tlsv13

    public init(caBundleFile: String? = nil, certificateFile: String? = nil, privateKeyFile: String? = nil) {
        self.caBundleFile = caBundleFile
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
    }

    /// A client certificate needs its key, and the other way round.
    public func validate() throws(RegistryError) {
        guard (certificateFile == nil) == (privateKeyFile == nil) else {
            throw RegistryError.tls("a client certificate and its private key go together: set both or neither")
        }
    }

    /// The client configuration, from the files as they are now.
    public func configuration() throws(RegistryError) -> TLSConfiguration {
        try validate()
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = minimumVersion
        configuration.certificateVerification = .fullVerification
        do {
            if let caBundleFile { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caBundleFile)) }
            if let certificateFile, let privateKeyFile {
                let credentials = try PEMCredentials(certificateFile: certificateFile, privateKeyFile: privateKeyFile)
                configuration.certificateChain = credentials.chain.map { .certificate($0) }
                configuration.privateKey = .privateKey(credentials.key)
            }
        } catch {
            throw RegistryError.tls("cannot read the outbound TLS files: \(error)")
        }
        return configuration
    }

    /// Size and modification time of each file: a new pool when one changes.
    var fingerprint: String {
        [caBundleFile, certificateFile, privateKeyFile].map { path in
            guard let path, let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return "-" }
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
            return "\(path):\(attributes[.size] ?? -1):\(modified)"
        }.joined(separator: "|") + "|\(minimumVersion)"
    }
}

/// One HTTP client per outbound TLS configuration as its files stand (and one for the system
/// roots): a rotated certificate gets a new client (connection pool); the old ones stay for
/// requests still using them, for the life of the process (a rotation a day is a client a day).
public enum OutboundHTTPClients {
    private static let clients = Mutex<[String: HTTPClient]>([:])
    /// A connection that cannot be made fails its request at once, not after retrying until
    /// the request's timeout: a certificate that does not verify will not verify on a retry,
    /// and the callers retry on their own (the init container restarts, the revocation watch
    /// polls again).
    static let connectTimeout: TimeAmount = .seconds(5)

    public static func client(for settings: OutboundTLSSettings?) throws(RegistryError) -> HTTPClient {
        let key = settings?.fingerprint ?? "system roots"
        if let existing = clients.withLock({ $0[key] }) { return existing }
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = connectTimeout
        configuration.connectionPool.retryConnectionEstablishment = false
        if let settings { configuration.tlsConfiguration = try settings.configuration() }
        let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        return clients.withLock { clients in
            if let raced = clients[key] {
                try? made.syncShutdown()
                return raced
            }
            clients[key] = made
            return made
        }
    }
}
