import Foundation
import Testing
import WardenJSON

@testable import WardenTrust

/// RFC 3161 timestamps from real timestamp authorities (the Rekor v2 cases of
/// sigstore-conformance): read, placed in time, and refused when they are over other bytes,
/// altered, or signed by an authority the root does not trust at that time.
@Suite struct RFC3161TimestampTests {
    static let base = "sigstore-conformance/bundle-verify"

    struct Case {
        let bundle: SigstoreBundle
        let root: TrustedRoot
        let signature: [UInt8]
        let timestamp: [UInt8]
    }

    static func load(_ name: String, bundleText: ((String) -> String)? = nil) throws -> Case {
        var text = try SharedSuites.text("\(base)/\(name)/bundle.sigstore.json")
        if let bundleText { text = bundleText(text) }
        let bundle = try SigstoreBundle(bytes: Array(text.utf8))
        let root = try TrustedRoot(bytes: try SharedSuites.bytes("\(base)/\(name)/trusted_root.json"))
        guard case let .messageSignature(_, _, signature) = bundle.content, let timestamp = bundle.rfc3161Timestamps.first else {
            throw TrustFailure(.malformedBundle, "\(name) is not a message signature with a timestamp")
        }
        return Case(bundle: bundle, root: root, signature: signature, timestamp: timestamp)
    }

    @Test func aRealTimestampIsReadAndPlacesTheSignatureInTime() async throws {
        guard SharedSuites.available() else { return }
        let sample = try Self.load("rekor2-happy-path")
        let stamp = try RFC3161Timestamp(response: sample.timestamp)
        #expect(stamp.hashAlgorithm == .sha256 && stamp.hashedMessage.count == 32)
        #expect(try await stamp.verifiedTime(over: sample.signature, in: sample.root) == stamp.time)
        #expect(abs(stamp.time.timeIntervalSince1970 - 1_749_729_740) < 1)  // 2025-06-12T12:02:20Z
    }

    @Test func aTimestampOverOtherBytesIsRefused() async throws {
        guard SharedSuites.available() else { return }
        let sample = try Self.load("rekor2-happy-path")
        let stamp = try RFC3161Timestamp(response: sample.timestamp)
        let failure = await #expect(throws: TrustFailure.self) {
            _ = try await stamp.verifiedTime(over: sample.signature.reversed(), in: sample.root)
        }
        #expect(failure?.code == .timestampInvalid)
    }

    @Test func anAlteredTimeBreaksTheAuthoritySignature() async throws {
        guard SharedSuites.available() else { return }
        let sample = try Self.load("rekor2-happy-path")
        let stamp = try RFC3161Timestamp(response: sample.timestamp)
        // Move the TSTInfo's GeneralizedTime one year on ("2025" -> "2026") inside the DER.
        var altered = sample.timestamp
        let year = Array("2025".utf8)
        let at = try #require((0...(altered.count - 4)).first { Array(altered[$0..<$0 + 4]) == year })
        altered[at + 3] = UInt8(ascii: "6")
        let moved = try RFC3161Timestamp(response: altered)
        #expect(moved.time.timeIntervalSince(stamp.time) > 364 * 86400)
        let failure = await #expect(throws: TrustFailure.self) { _ = try await moved.verifiedTime(over: sample.signature, in: sample.root) }
        #expect(failure?.code == .timestampInvalid)
        #expect(failure?.detail.contains("signed attributes") == true)
    }

    @Test func truncatedOrForeignBytesAreRefused() throws {
        guard SharedSuites.available() else { return }
        let sample = try Self.load("rekor2-happy-path")
        for bad in [Array(sample.timestamp.prefix(100)), [0x30, 0x03, 0x02, 0x01, 0x02], Array("not DER".utf8)] {
            #expect(throws: TrustFailure.self) { _ = try RFC3161Timestamp(response: bad) }
        }
    }

    @Test func anAuthorityOutsideItsRootWindowDoesNotCount() async throws {
        guard SharedSuites.available() else { return }
        let sample = try Self.load("rekor2-timestamp-outside-trust-root-tsa-validity_fail")
        let stamp = try RFC3161Timestamp(response: sample.timestamp)
        let failure = await #expect(throws: TrustFailure.self) { _ = try await stamp.verifiedTime(over: sample.signature, in: sample.root) }
        #expect(failure?.detail.contains("no timestamp authority") == true)
    }

    /// The suite's bundle writes this timestamp as wrapped base64, which Warden refuses as
    /// malformed. Unwrapped, the check the case is about still refuses it: the authority stamped
    /// the signature long after the signing certificate expired.
    @Test func aTimestampAfterTheCertificateExpiredIsRefused() async throws {
        guard SharedSuites.available() else { return }
        let name = "rekor2-timestamp-with-incorrect-time_fail"
        #expect(throws: TrustFailure.self) { _ = try Self.load(name) }
        let sample = try Self.load(name) { text in
            // Unwrap only the timestamp's base64: the checkpoint's line breaks are its format.
            guard let field = text.range(of: #""signedTimestamp":\s*"[^"]*""#, options: .regularExpression) else { return text }
            return text.replacingCharacters(in: field, with: text[field].replacingOccurrences(of: "\\n", with: ""))
        }
        let stamp = try RFC3161Timestamp(response: sample.timestamp)
        #expect(try await stamp.verifiedTime(over: sample.signature, in: sample.root) == stamp.time)
        let trust = SigstoreTrust(
            root: sample.root,
            signers: .identities([
                KeylessIdentityPolicy(
                    identity: .pattern("https://github\\.com/.*"), issuer: .exact("https://token.actions.githubusercontent.com"))
            ]))
        let artifact = try SharedSuites.bytes("sigstore-conformance/a.txt")
        let failure = await #expect(throws: TrustFailure.self) {
            _ = try await ArtifactBundleVerifier(trust: .sigstore(trust)).verify(sample.bundle, artifact: artifact)
        }
        #expect(failure?.code == .certificateInvalid)
        #expect(failure?.detail.contains("not at") == true)
    }
}
