import Foundation
import Logging
import NIOSSL
import SwiftASN1
import Synchronization
import WardenServing
import WardenTrust
import X509

/// Verifies a client's certificate during the TLS handshake, replacing BoringSSL's check: the
/// chain must lead to a root of the trust bundle under RFC 5280 at the time of the handshake
/// (so an expired or not-yet-valid certificate fails it), the leaf must allow client
/// authentication, and it must carry exactly one URI SAN that is a valid SPIFFE ID. Anything
/// else fails the handshake: no request is read from a peer without an identity.
public final class PeerVerifier: Sendable {
    private let bundle: Mutex<[Certificate]>
    private let refusals = Mutex<RefusalAudit?>(nil)

    public init(bundle: [Certificate]) {
        self.bundle = Mutex(bundle)
    }

    /// Reads a trust bundle: every CERTIFICATE block of a PEM file.
    public static func readBundle(_ path: String) throws -> [Certificate] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw IdentityError("cannot read the trust bundle \(path)")
        }
        let roots = try PEMDocument.parseMultiple(pemString: text).filter { $0.discriminator == "CERTIFICATE" }.map {
            try Certificate(derEncoded: $0.derBytes)
        }
        guard !roots.isEmpty else { throw IdentityError("the trust bundle \(path) holds no certificate") }
        return roots
    }

    /// Audits refused handshakes (rate-limited: the peer is not yet authenticated).
    public func auditRefusals(to logger: Logger) { refusals.withLock { $0 = RefusalAudit(logger: logger) } }

    /// New handshakes use the new bundle; established connections keep theirs.
    public func replaceBundle(_ roots: [Certificate]) { bundle.withLock { $0 = roots } }

    /// What the peer's certificate must be for: a client calling Warden, or a server Warden calls.
    public enum Role: Sendable { case client, server }

    /// SPIFFE chains are a leaf and one or two intermediates: more than this many certificates,
    /// or bytes, is refused before anything is parsed (a ring of same-named CAs once cost the
    /// handshake seconds of path building per attempt, before authentication).
    static let maximumIntermediates = 4
    static let maximumChainBytes = 32 << 10
    /// The most one handshake's verification may take; past it, the handshake fails.
    static let verificationBudget: Duration = .seconds(1)

    /// The peer's SPIFFE ID if its chain and identity pass, else the reason they do not.
    public func identity(ofChain chain: [[UInt8]], at time: Date = Date(), role: Role = .client) async throws(IdentityError) -> SPIFFEID {
        guard let leafBytes = chain.first else { throw IdentityError("the client sent no certificate") }
        guard chain.count - 1 <= Self.maximumIntermediates, chain.reduce(0, { $0 + $1.count }) <= Self.maximumChainBytes else {
            throw IdentityError(
                "the client's chain has \(chain.count) certificates (\(chain.reduce(0) { $0 + $1.count }) bytes); at most a leaf and \(Self.maximumIntermediates) intermediates in \(Self.maximumChainBytes) bytes"
            )
        }
        let leaf: Certificate
        var offered: [Certificate] = []
        do {
            leaf = try Certificate(derEncoded: leafBytes)
            for bytes in chain.dropFirst() { offered.append(try Certificate(derEncoded: bytes)) }
        } catch {
            throw IdentityError("the client's certificate is not valid X.509")
        }
        let roots = bundle.withLock { $0 }
        // Path building sees only the intermediates that really sign the chain, one per step.
        let intermediates = Self.issuerPath(from: leaf, among: offered)
        let outcome = await ChainValidation.validate(
            leaf: leaf, intermediates: intermediates, roots: roots, at: time, leafRules: X509SVIDPolicy(role: role))
        if case let .invalid(reason) = outcome { throw IdentityError("the client's certificate does not verify: \(reason)") }
        let id = try Self.spiffeID(of: leaf)
        // A workload's SVID names a workload: the trust domain's own ID (what a SPIRE
        // intermediate carries) is not one.
        guard !id.path.isEmpty else { throw IdentityError("the certificate names only the trust domain \(id), not a workload") }
        return id
    }

    /// The offered intermediates that form a chain up from `leaf`: at each step, the first
    /// one named as the issuer, with a matching key identifier when both carry one, whose key
    /// verifies the signature. Each is used once, so a ring of CAs that sign each other ends.
    static func issuerPath(from leaf: Certificate, among offered: [Certificate]) -> [Certificate] {
        var pool = offered
        var path: [Certificate] = []
        var current = leaf
        while let index = pool.firstIndex(where: { isIssuer($0, of: current) }) {
            current = pool.remove(at: index)
            path.append(current)
        }
        return path
    }

    static func isIssuer(_ candidate: Certificate, of certificate: Certificate) -> Bool {
        guard candidate.subject == certificate.issuer else { return false }
        if let authority = try? certificate.extensions.authorityKeyIdentifier?.keyIdentifier,
            let subject = try? candidate.extensions.subjectKeyIdentifier?.keyIdentifier, authority != subject
        {
            return false
        }
        return candidate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    /// The one URI SAN of a certificate, as a SPIFFE ID.
    public static func spiffeID(of certificate: Certificate) throws(IdentityError) -> SPIFFEID {
        let names: SubjectAlternativeNames?
        do {
            names = try certificate.extensions.subjectAlternativeNames
        } catch {
            throw IdentityError("the certificate's subject alternative names are malformed")
        }
        let uris = (names ?? SubjectAlternativeNames()).compactMap { name -> String? in
            if case let .uniformResourceIdentifier(uri) = name { uri } else { nil }
        }
        guard uris.count == 1, let uri = uris.first else {
            throw IdentityError("the certificate must carry exactly one URI SAN (it has \(uris.count))")
        }
        return try SPIFFEID(parsing: uri)
    }

    /// For Hummingbird's TLS channel: the verification callback of every handshake.
    public func verify(_ chain: [NIOSSLCertificate]) async -> NIOSSLVerificationResult {
        do {
            let der = try chain.map { try $0.toDERBytes() }
            // Off the event loop, and bounded: a handshake cannot buy more CPU than the budget.
            _ = try await withDeadline(Self.verificationBudget, timeout: { IdentityError("verification took too long") }) {
                try await self.identity(ofChain: der)
            }
            return .certificateVerified
        } catch {
            refusals.withLock { $0?.record("\(error)") }
            return .failed
        }
    }
}
