import ArgumentParser
import Foundation
import WardenJSON
import WardenTrust

/// `warden sigstore`: Sigstore bundles on their own, outside a model release.
struct SigstoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sigstore", abstract: "Verify Sigstore bundles offline.",
        subcommands: [SigstoreVerifyBundleCommand.self, SigstoreBenchCommand.self])
}

/// The sigstore-conformance client contract: exit 0 only when the bundle verifies.
struct SigstoreVerifyBundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-bundle",
        abstract: "Verify a Sigstore bundle over a file or sha256:<hex>, keyless (identity and issuer) or with a key.")

    @OptionGroup var verification: BundleVerificationOptions

    @Flag(name: .long, help: "Print the result as one JSON document.")
    var json = false

    func run() async throws {
        try await TrustOutcome.run(json: json) { () async throws(TrustFailure) in
            let (verifier, bundle, message) = try await verification.prepare()
            let result = try await verifier.verify(bundle, message: message)
            if json {
                print(JSONValue.object([("verified", .bool(true)), ("signer", .string(result.signer.description))]).serialized())
            } else {
                print("Verified OK: signed by \(result.signer)")
            }
        }
    }
}

/// `warden sigstore bench`: one bundle verified many times in process; prints the cost of a
/// verification in nanoseconds (benchmarks/sigstore.py drives it).
struct SigstoreBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Time repeated verifications of one bundle.")

    @OptionGroup var verification: BundleVerificationOptions

    @Option(help: "Verifications to time (after as many warm-up ones).")
    var iterations = 200

    func run() async throws {
        // Verified once first, so that a bundle that does not verify is refused like verify-bundle refuses it.
        var checked: (ArtifactBundleVerifier, SigstoreBundle, SignedMessage)?
        try await TrustOutcome.run(json: true) { () async throws(TrustFailure) in
            let prepared = try await verification.prepare()
            _ = try await prepared.0.verify(prepared.1, message: prepared.2)
            checked = prepared
        }
        guard let (verifier, bundle, message) = checked else { return }
        let timing = try await RepeatedTiming.measure(iterations: iterations) { _ = try await verifier.verify(bundle, message: message) }
        print(
            JSONValue.object([
                ("verified", .bool(true)), ("iterations", .integer(Int64(iterations))), ("p50_ns", .number(timing.percentile(0.5))),
                ("p90_ns", .number(timing.percentile(0.9))), ("p99_ns", .number(timing.percentile(0.99))),
            ]).serialized())
    }
}

/// A bundle, what it signs, and whom to trust: the arguments verify-bundle and bench share.
struct BundleVerificationOptions: ParsableArguments {
    @Argument(help: "The signed file, or its digest as sha256:<hex>.")
    var artifact: String

    @Option(name: .long, help: "The Sigstore bundle (JSON).")
    var bundle: String

    @OptionGroup var identity: KeylessIdentityOptions

    @Option(name: .long, help: "A public key (\(CLIKeys.help)): verify a managed-key bundle instead of a keyless identity.")
    var key: String?

    func prepare() async throws(TrustFailure) -> (ArtifactBundleVerifier, SigstoreBundle, SignedMessage) {
        let root = try identity.root()
        let signers: SigstoreTrust.Signers
        if let key {
            guard identity.isEmpty else { throw TrustFailure(.malformedStatement, "give either --key or a keyless identity, not both") }
            signers = .keys([TrustedKey(name: KeyReference(key).description, key: try await CLIKeys.publicKey(key))])
        } else {
            signers = .identities([try identity.policy()])
        }
        let message: SignedMessage
        if artifact.hasPrefix("sha256:") {
            guard let digest = SHA256Digest(parsing: artifact) else {
                throw TrustFailure(.malformedStatement, "\(artifact) is not sha256: and 64 lowercase hex digits")
            }
            message = .digest(digest)
        } else {
            message = .bytes(try TrustOutcome.read(artifact))
        }
        let parsed = try SigstoreBundle(bytes: try TrustOutcome.read(bundle))
        return (ArtifactBundleVerifier(trust: .sigstore(SigstoreTrust(root: root, signers: signers))), parsed, message)
    }
}

/// Who may sign keylessly, as cosign and sigstore-python take it, and the trusted root.
struct KeylessIdentityOptions: ParsableArguments {
    @Option(name: .customLong("certificate-identity"), help: "The signer's identity (certificate SAN: URI or email), exactly.")
    var identity: String?

    @Option(name: .customLong("certificate-identity-regexp"), help: "A pattern the whole identity must match.")
    var identityPattern: String?

    @Option(name: .customLong("certificate-oidc-issuer"), help: "The OIDC issuer that vouched for the identity, exactly.")
    var issuer: String?

    @Option(name: .customLong("certificate-oidc-issuer-regexp"), help: "A pattern the whole OIDC issuer must match.")
    var issuerPattern: String?

    @Option(name: .customLong("trusted-root"), help: "A trusted_root.json (default: the Sigstore public-good root built in).")
    var trustedRootPath: String?

    var isEmpty: Bool { identity == nil && identityPattern == nil && issuer == nil && issuerPattern == nil }

    func policy() throws(TrustFailure) -> KeylessIdentityPolicy {
        let identityMatch = try Self.match(identity, identityPattern, "--certificate-identity")
        let issuerMatch = try Self.match(issuer, issuerPattern, "--certificate-oidc-issuer")
        return KeylessIdentityPolicy(identity: identityMatch, issuer: issuerMatch)
    }

    func root() throws(TrustFailure) -> TrustedRoot {
        guard let trustedRootPath else { return .publicGood }
        return try TrustedRoot(bytes: try TrustOutcome.read(trustedRootPath))
    }

    private static func match(_ exact: String?, _ pattern: String?, _ flag: String) throws(TrustFailure) -> KeylessIdentityPolicy.Match {
        switch (exact, pattern) {
        case let (value?, nil): return .exact(value)
        case let (nil, value?): return .pattern(value)
        default: throw TrustFailure(.malformedStatement, "give exactly one of \(flag) and \(flag)-regexp")
        }
    }
}
