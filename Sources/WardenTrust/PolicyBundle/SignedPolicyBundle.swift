import Foundation
import WardenJSON

/// A policy bundle's signature: a DSSE envelope around an in-toto statement whose subjects are
/// the bundle's files (path and SHA-256) and whose predicate is its manifest. Signed with a key
/// the trust policy lists under `policy_signers` — never a model signer's — so whoever can
/// publish models cannot also switch the kill switch off.
public enum SignedPolicyBundle {
    public static let predicateType = "https://warden.dev/policy-bundle/v1"

    public static func statement(manifest: PolicyBundleManifest, files: [PolicyBundleFile]) -> [UInt8] {
        let subjects = files.map { file in
            JSONValue.object([("name", .string(file.path)), ("digest", .object([("sha256", .string(file.digest.hex))]))])
        }
        let statement = JSONValue.object([
            ("_type", .string("https://in-toto.io/Statement/v1")), ("subject", .array(subjects)),
            ("predicateType", .string(predicateType)), ("predicate", manifest.predicate),
        ])
        return Array(statement.serialized().utf8)
    }

    public static func sign(manifest: PolicyBundleManifest, files: [PolicyBundleFile], with key: SigningKey) async throws(TrustFailure)
        -> [UInt8]
    {
        let envelope = try await DSSEEnvelope.sign(
            payloadType: InTotoStatement.payloadType, payload: statement(manifest: manifest, files: files), with: key)
        return Array(envelope.json.serialized().utf8)
    }

    /// The manifest of a bundle whose envelope is signed by one of `signers` and whose
    /// statement names exactly `files`, each with its digest: a file added, dropped, renamed or
    /// changed after signing is refused.
    public static func verified(envelope bytes: [UInt8], files: [PolicyBundleFile], signers: [TrustedKey], at time: Date)
        throws(TrustFailure)
        -> (manifest: PolicyBundleManifest, signer: TrustedKey)
    {
        guard !signers.isEmpty else { throw TrustFailure(.untrustedKey, "the trust policy names no policy_signers") }
        guard let json = try? JSONParser.parse(bytes) else { throw PolicyBundleManifest.invalid("the bundle's envelope is not JSON") }
        let envelope = try DSSEEnvelope(json: json)
        guard envelope.payloadType == InTotoStatement.payloadType else {
            throw PolicyBundleManifest.invalid("the bundle's envelope holds \(envelope.payloadType), not an in-toto statement")
        }
        let signer: TrustedKey
        do {
            signer = try envelope.signer(among: signers, at: time)
        } catch {
            throw TrustFailure(error.code, "the policy bundle is not signed by a policy signer (\(error.detail))")
        }
        let statement = try InTotoStatement(payload: envelope.payload)
        guard statement.predicateType == predicateType else {
            throw PolicyBundleManifest.invalid("the statement's predicate is \(statement.predicateType), not a policy bundle")
        }
        var signed: [String: SHA256Digest] = [:]
        for subject in statement.subjects {
            guard let digest = subject.sha256, signed.updateValue(digest, forKey: subject.name) == nil else {
                throw PolicyBundleManifest.invalid("the statement names \(subject.name) twice or without a sha256 digest")
            }
        }
        for file in files {
            guard let digest = signed.removeValue(forKey: file.path) else {
                throw TrustFailure(.unexpectedFile, "\(file.path) is in the bundle but not in its signed statement")
            }
            guard digest == file.digest else {
                throw TrustFailure(.digestMismatch, "\(file.path) is \(file.digest), the statement signed \(digest)")
            }
        }
        if let missing = signed.keys.sorted().first {
            throw TrustFailure(.missingFile, "\(missing) is signed for but not in the bundle")
        }
        return (try PolicyBundleManifest(predicate: statement.predicate), signer)
    }
}
