import Foundation
import WardenJSON

/// One `tlogEntries` item of a Sigstore bundle: where a Rekor log put the signing event, the
/// log's promise to include it (the SignedEntryTimestamp, Rekor v1) and its proof that it did
/// (an inclusion proof under a signed checkpoint), and the entry body the log stored.
public struct TransparencyLogEntry: Sendable {
    public let logIndex: Int64
    public let logID: [UInt8]
    public let kind: String
    public let kindVersion: String
    /// Seconds since the epoch when Rekor v1 integrated the entry; Rekor v2 leaves it 0 and
    /// relies on timestamp authorities instead.
    public let integratedTime: Int64
    public let signedEntryTimestamp: [UInt8]?
    public let inclusionProof: MerkleInclusionProof?
    public let checkpoint: String?
    public let canonicalizedBody: [UInt8]

    public init(json: JSONValue) throws(TrustFailure) {
        func integer(_ value: JSONValue?, _ field: String, default fallback: Int64? = nil) throws(TrustFailure) -> Int64 {
            switch value {
            case let .string(text)?: if let number = Int64(text) { return number }
            case let .integer(number)?: return number
            case nil: if let fallback { return fallback }
            default: break
            }
            throw TrustFailure(.malformedBundle, "tlog entry \(field) is not an integer")
        }
        logIndex = try integer(json["logIndex"], "logIndex")
        guard logIndex >= 0 else { throw TrustFailure(.malformedBundle, "tlog entry logIndex is negative") }
        guard case let .string(keyID)? = json["logId"]?["keyId"] else {
            throw TrustFailure(.malformedBundle, "tlog entry has no logId.keyId")
        }
        logID = try Base64.decode(keyID, field: "logId.keyId")
        guard case let .string(kind)? = json["kindVersion"]?["kind"], case let .string(version)? = json["kindVersion"]?["version"] else {
            throw TrustFailure(.malformedBundle, "tlog entry has no kindVersion")
        }
        self.kind = kind
        kindVersion = version
        integratedTime = try integer(json["integratedTime"], "integratedTime", default: 0)
        guard case let .string(body)? = json["canonicalizedBody"] else {
            throw TrustFailure(.malformedBundle, "tlog entry has no canonicalizedBody")
        }
        canonicalizedBody = try Base64.decode(body, field: "canonicalizedBody")
        if case let .string(set)? = json["inclusionPromise"]?["signedEntryTimestamp"] {
            signedEntryTimestamp = try Base64.decode(set, field: "signedEntryTimestamp")
        } else {
            signedEntryTimestamp = nil
        }
        if let proof = json["inclusionProof"] {
            guard case let .array(hashes)? = proof["hashes"], case let .string(root)? = proof["rootHash"] else {
                throw TrustFailure(.malformedBundle, "inclusion proof needs rootHash and hashes")
            }
            let index = try integer(proof["logIndex"], "inclusionProof.logIndex")
            let size = try integer(proof["treeSize"], "inclusionProof.treeSize")
            guard index >= 0, size > 0 else { throw TrustFailure(.malformedBundle, "inclusion proof index or size is out of range") }
            inclusionProof = MerkleInclusionProof(
                index: UInt64(index), treeSize: UInt64(size), rootHash: try Base64.decode(root, field: "inclusionProof.rootHash"),
                hashes: try hashes.map { hash throws(TrustFailure) in
                    guard case let .string(text) = hash else {
                        throw TrustFailure(.malformedBundle, "inclusion proof hash is not a string")
                    }
                    return try Base64.decode(text, field: "inclusionProof.hashes")
                })
            if case let .string(envelope)? = proof["checkpoint"]?["envelope"] { checkpoint = envelope } else { checkpoint = nil }
        } else {
            inclusionProof = nil
            checkpoint = nil
        }
    }

    /// The inclusion proof leads from this entry's body to a root hash that the log itself
    /// signed in a checkpoint of the same tree.
    public func verifyInclusion(in log: TrustedRoot.Log) throws(TrustFailure) {
        guard let proof = inclusionProof else { throw TrustFailure(.transparencyLogInvalid, "the entry has no inclusion proof") }
        guard proof.verifies(leafHash: MerkleInclusionProof.leafHash(canonicalizedBody)) else {
            throw TrustFailure(.transparencyLogInvalid, "the inclusion proof does not lead to its root hash")
        }
        guard let text = checkpoint else { throw TrustFailure(.transparencyLogInvalid, "the inclusion proof has no checkpoint") }
        let signed = try SignedCheckpoint(text: text)
        guard let key = log.key, signed.isSigned(by: key, keyID: log.keyID) else {
            throw TrustFailure(.transparencyLogInvalid, "the checkpoint is not signed by the log \(log.baseURL)")
        }
        guard signed.rootHash == proof.rootHash, signed.treeSize == proof.treeSize else {
            throw TrustFailure(.transparencyLogInvalid, "the checkpoint's tree (size and root hash) is not the inclusion proof's")
        }
    }

    /// Rekor v1's SignedEntryTimestamp: the log's signature over the canonical JSON of the
    /// body, integrated time, log id (hex) and index, keys sorted, no spaces.
    public func verifySignedEntryTimestamp(in log: TrustedRoot.Log) throws(TrustFailure) {
        guard let signature = signedEntryTimestamp else {
            throw TrustFailure(.transparencyLogInvalid, "the entry has no signed entry timestamp")
        }
        let payload =
            "{\"body\":\"\(Base64.encode(canonicalizedBody))\",\"integratedTime\":\(integratedTime),"
            + "\"logID\":\"\(Hex.encode(logID))\",\"logIndex\":\(logIndex)}"
        guard let key = log.key, key.isValidSignature(signature, for: Array(payload.utf8)) else {
            throw TrustFailure(.transparencyLogInvalid, "the signed entry timestamp does not verify under the log's key")
        }
    }
}
