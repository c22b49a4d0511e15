import Crypto
import Foundation
import WardenJSON

/// What a bundle says was signed, for comparison with what the transparency log recorded:
/// an entry proven to be in the log is worth nothing unless it is this signing event.
struct SignedEvent {
    /// The signing key or certificate, as the log records a verifier.
    enum Verifier {
        case certificate(der: [UInt8])
        case publicKey(der: [UInt8])
    }

    /// SHA-256 of what was signed: the artifact, or the DSSE pre-authentication encoding.
    let messageDigest: SHA256Digest
    let signature: [UInt8]
    let envelope: DSSEEnvelope?
    let verifier: Verifier
}

extension TransparencyLogEntry {
    /// The entry's body records this event: the same digest or envelope, signature and signer.
    /// Body kinds: hashedrekord 0.0.1 and 0.0.2, dsse 0.0.1 and 0.0.2, intoto 0.0.2.
    func verifyBody(records event: SignedEvent) throws(TrustFailure) {
        let body: JSONValue
        do {
            body = try JSONParser.parse(canonicalizedBody)
        } catch {
            throw TrustFailure(.transparencyLogInvalid, "the log entry's body is not JSON")
        }
        guard body["kind"] == .string(kind), body["apiVersion"] == .string(kindVersion), let spec = body["spec"] else {
            throw TrustFailure(.transparencyLogInvalid, "the log entry's body is not the \(kind) \(kindVersion) its entry names")
        }
        let matches: Bool
        switch (kind, kindVersion, event.envelope) {
        case ("hashedrekord", "0.0.1", _): matches = try Self.hashedRekordV001(spec, records: event)
        case ("hashedrekord", "0.0.2", _): matches = try Self.hashedRekordV002(spec["hashedRekordV002"], records: event)
        case ("dsse", "0.0.1", let envelope?): matches = try Self.dsseV001(spec, records: event, envelope: envelope)
        case ("dsse", "0.0.2", let envelope?): matches = try Self.dsseV002(spec["dsseV002"], records: event, envelope: envelope)
        case ("intoto", "0.0.2", let envelope?): matches = try Self.intotoV002(spec["content"], records: event, envelope: envelope)
        default:
            throw TrustFailure(.transparencyLogInvalid, "a \(kind) \(kindVersion) log entry cannot record this bundle's content")
        }
        guard matches else {
            throw TrustFailure(.transparencyLogInvalid, "the \(kind) log entry records another signing event than this bundle's")
        }
    }

    private static func hashedRekordV001(_ spec: JSONValue, records event: SignedEvent) throws(TrustFailure) -> Bool {
        guard spec["data"]?["hash"]?["algorithm"] == .string("sha256"), case let .string(hex)? = spec["data"]?["hash"]?["value"],
            case let .string(signature)? = spec["signature"]?["content"],
            case let .string(key)? = spec["signature"]?["publicKey"]?["content"]
        else { throw malformed("hashedrekord") }
        let recordedSignature = try Base64.decode(signature, field: "body signature")
        let sameSigner = try pem(key, is: event.verifier)
        return hex == event.messageDigest.hex && recordedSignature == event.signature && sameSigner
    }

    private static func hashedRekordV002(_ spec: JSONValue?, records event: SignedEvent) throws(TrustFailure) -> Bool {
        guard let spec, spec["data"]?["algorithm"] == .string("SHA2_256"), case let .string(digest)? = spec["data"]?["digest"],
            case let .string(signature)? = spec["signature"]?["content"], let verifier = spec["signature"]?["verifier"]
        else { throw malformed("hashedrekord") }
        let recordedDigest = try Base64.decode(digest, field: "body digest")
        let recordedSignature = try Base64.decode(signature, field: "body signature")
        let sameSigner = try rawVerifier(verifier, is: event.verifier)
        return recordedDigest == event.messageDigest.bytes && recordedSignature == event.signature && sameSigner
    }

    private static func dsseV001(_ spec: JSONValue, records event: SignedEvent, envelope: DSSEEnvelope) throws(TrustFailure) -> Bool {
        guard spec["payloadHash"]?["algorithm"] == .string("sha256"), case let .string(payloadHash)? = spec["payloadHash"]?["value"],
            case let .array(signatures)? = spec["signatures"]
        else { throw malformed("dsse") }
        guard payloadHash == SHA256Digest.of(envelope.payload).hex, signatures.count == envelope.signatures.count else { return false }
        for (recorded, signed) in zip(signatures, envelope.signatures) {
            guard case let .string(signature)? = recorded["signature"], case let .string(key)? = recorded["verifier"] else {
                throw malformed("dsse")
            }
            guard try Base64.decode(signature, field: "body signature") == signed.bytes, try pem(key, is: event.verifier) else {
                return false
            }
        }
        return true
    }

    private static func dsseV002(_ spec: JSONValue?, records event: SignedEvent, envelope: DSSEEnvelope) throws(TrustFailure) -> Bool {
        guard let spec, spec["payloadHash"]?["algorithm"] == .string("SHA2_256"),
            case let .string(payloadHash)? = spec["payloadHash"]?["digest"], case let .array(signatures)? = spec["signatures"]
        else { throw malformed("dsse") }
        guard try Base64.decode(payloadHash, field: "body payloadHash") == SHA256Digest.of(envelope.payload).bytes,
            signatures.count == envelope.signatures.count
        else { return false }
        for (recorded, signed) in zip(signatures, envelope.signatures) {
            guard case let .string(signature)? = recorded["content"], let verifier = recorded["verifier"] else { throw malformed("dsse") }
            guard try Base64.decode(signature, field: "body signature") == signed.bytes, try rawVerifier(verifier, is: event.verifier)
            else { return false }
        }
        return true
    }

    /// intoto 0.0.2 stores the envelope with its payload and signatures base64-encoded once more.
    private static func intotoV002(_ content: JSONValue?, records event: SignedEvent, envelope: DSSEEnvelope) throws(TrustFailure)
        -> Bool
    {
        guard let content, content["payloadHash"]?["algorithm"] == .string("sha256"),
            case let .string(payloadHash)? = content["payloadHash"]?["value"], let recorded = content["envelope"],
            case let .array(signatures)? = recorded["signatures"]
        else { throw malformed("intoto") }
        guard payloadHash == SHA256Digest.of(envelope.payload).hex, recorded["payloadType"] == .string(envelope.payloadType),
            signatures.count == envelope.signatures.count
        else { return false }
        if case let .string(payload)? = recorded["payload"] {
            let inner = String(decoding: try Base64.decode(payload, field: "body payload"), as: UTF8.self)
            guard try Base64.decode(inner, field: "body payload") == envelope.payload else { return false }
        }
        for (entry, signed) in zip(signatures, envelope.signatures) {
            guard case let .string(sig)? = entry["sig"], case let .string(key)? = entry["publicKey"] else { throw malformed("intoto") }
            // Rekor wrote the signature's base64 text here, or (in some entries) the signature itself.
            let recorded = try Base64.decode(sig, field: "body signature")
            guard recorded == Array(Base64.encode(signed.bytes).utf8) || recorded == signed.bytes, try pem(key, is: event.verifier)
            else { return false }
        }
        return true
    }

    /// A base64 PEM certificate or public key, as Rekor v1 bodies record a verifier.
    private static func pem(_ base64: String, is verifier: SignedEvent.Verifier) throws(TrustFailure) -> Bool {
        let text = String(decoding: try Base64.decode(base64, field: "body verifier"), as: UTF8.self)
        guard let blocks = try? PEM.blocks(in: text), blocks.count == 1 else { throw malformed("verifier") }
        switch verifier {
        case let .certificate(der): return blocks[0].label == "CERTIFICATE" && blocks[0].der == der
        case let .publicKey(der): return blocks[0].label == "PUBLIC KEY" && blocks[0].der == der
        }
    }

    /// Rekor v2 records a verifier as raw DER: `x509Certificate.rawBytes` or `publicKey.rawBytes`.
    private static func rawVerifier(_ json: JSONValue, is verifier: SignedEvent.Verifier) throws(TrustFailure) -> Bool {
        switch verifier {
        case let .certificate(der):
            guard case let .string(raw)? = json["x509Certificate"]?["rawBytes"] else { return false }
            return try Base64.decode(raw, field: "body certificate") == der
        case let .publicKey(der):
            guard case let .string(raw)? = json["publicKey"]?["rawBytes"] else { return false }
            return try Base64.decode(raw, field: "body public key") == der
        }
    }

    private static func malformed(_ kind: String) -> TrustFailure {
        TrustFailure(.transparencyLogInvalid, "the log entry's \(kind) body lacks a required field")
    }
}
