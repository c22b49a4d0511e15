import ArgumentParser
import WardenRegistry
import WardenTrust

/// How to reach a registry.
struct RegistryOptions: ParsableArguments {
    @Option(
        name: .customLong("registry-credentials"),
        help: "Docker-style config.json with the registry's credentials (mounted secret; never an environment variable).")
    var credentials: String?

    @Option(
        name: .customLong("registry-ca"), help: "PEM bundle of the CAs to trust for the registry's certificate (default: the system roots)."
    )
    var caBundle: String?

    @Option(name: .customLong("registry-cert"), help: "Client certificate (PEM) to present to the registry (mutual TLS).")
    var certificate: String?

    @Option(name: .customLong("registry-key"), help: "The client certificate's private key (PEM).")
    var privateKey: String?

    @Flag(name: .customLong("registry-tls12"), help: "Allow TLS 1.2 with the registry (default: TLS 1.3 only).")
    var allowTLS12 = false

    /// The outbound TLS configuration the flags describe; nil when none is given (system roots,
    /// no client certificate, plain HTTP for a loopback registry).
    var tls: OutboundTLSSettings? {
        guard caBundle != nil || certificate != nil || privateKey != nil || allowTLS12 else { return nil }
        var settings = OutboundTLSSettings(caBundleFile: caBundle, certificateFile: certificate, privateKeyFile: privateKey)
        if allowTLS12 { settings.minimumVersion = .tlsv12 }
        return settings
    }

    func store(for reference: ArtifactReference) throws(RegistryError) -> any ArtifactStore {
        try StoreOpener.store(for: reference, credentialsFile: credentials, tls: tls)
    }

    /// The reference a trust command was given and the store it names; a malformed one is a
    /// refusal of its own (`option` names the flag in the message).
    func open(_ text: String, option: String) throws(TrustFailure) -> (reference: ArtifactReference, store: any ArtifactStore) {
        do {
            let reference = try ArtifactReference(parsing: text)
            return (reference, try store(for: reference))
        } catch {
            throw TrustFailure(.malformedStatement, "\(option)\(error.description)")
        }
    }
}
