import Crypto
import Foundation

/// A transparency log checkpoint in the signed-note format (C2SP tlog-checkpoint, signed-note):
/// the note is the origin line, the tree size, the base64 root hash and optional extension
/// lines; after a blank line come signature lines `— <name> <base64(key hint ‖ signature)>`.
/// A checkpoint counts as the log's when some signature line carries the log's 4-byte key hint
/// and verifies under the log's key; others (witness cosignatures) are ignored.
public struct SignedCheckpoint: Sendable {
    public struct Signature: Sendable {
        public let name: String
        public let keyHint: [UInt8]
        public let signature: [UInt8]
    }

    /// The signed text: every line up to and including the newline before the blank line.
    public let note: [UInt8]
    public let origin: String
    public let treeSize: UInt64
    public let rootHash: [UInt8]
    public let signatures: [Signature]

    public init(text: String) throws(TrustFailure) {
        guard let separator = text.range(of: "\n\n") else {
            throw TrustFailure(.transparencyLogInvalid, "checkpoint has no blank line before its signatures")
        }
        let body = text[..<separator.lowerBound]
        note = Array((body + "\n").utf8)
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3, !lines[0].isEmpty else {
            throw TrustFailure(.transparencyLogInvalid, "checkpoint needs an origin, a tree size and a root hash")
        }
        origin = String(lines[0])
        guard let size = UInt64(lines[1]), String(size) == lines[1] else {
            throw TrustFailure(.transparencyLogInvalid, "checkpoint tree size is not a decimal number")
        }
        treeSize = size
        rootHash = try Base64.decode(String(lines[2]), field: "checkpoint root hash")
        guard rootHash.count == 32 else { throw TrustFailure(.transparencyLogInvalid, "checkpoint root hash is not 32 bytes") }
        var found: [Signature] = []
        for line in text[separator.upperBound...].split(separator: "\n") {
            // "— " is U+2014 EM DASH and a space.
            guard line.hasPrefix("\u{2014} ") else {
                throw TrustFailure(.transparencyLogInvalid, "checkpoint signature line does not start with an em dash")
            }
            let fields = line.dropFirst(2).split(separator: " ")
            guard fields.count == 2 else { throw TrustFailure(.transparencyLogInvalid, "checkpoint signature line is malformed") }
            let blob = try Base64.decode(String(fields[1]), field: "checkpoint signature")
            guard blob.count > 4 else { throw TrustFailure(.transparencyLogInvalid, "checkpoint signature is too short") }
            found.append(Signature(name: String(fields[0]), keyHint: Array(blob.prefix(4)), signature: Array(blob.dropFirst(4))))
        }
        guard !found.isEmpty else { throw TrustFailure(.transparencyLogInvalid, "checkpoint has no signature") }
        signatures = found
    }

    /// Whether the log (its key and id) signed this note: a line with the log's key hint whose
    /// signature verifies. For Ed25519 logs (Rekor v2) the id is the note key id, for ECDSA
    /// logs (Rekor v1) the key's SHA-256; either way the hint is its first 4 bytes.
    public func isSigned(by key: VerificationKey, keyID: [UInt8]) -> Bool {
        let hint = Array(keyID.prefix(4))
        return signatures.contains { $0.keyHint == hint && key.isValidSignature($0.signature, for: note) }
    }
}
