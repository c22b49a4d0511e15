import Foundation
import WardenJSON

/// A Dead Simple Signing Envelope: the payload is signed through its pre-authentication
/// encoding, so the payload type is covered by the signature too.
public struct DSSEEnvelope: Sendable, Equatable {
    public struct Signature: Sendable, Equatable {
        public let keyID: String
        public let bytes: [UInt8]

        public init(keyID: String, bytes: [UInt8]) {
            self.keyID = keyID
            self.bytes = bytes
        }
    }

    public let payloadType: String
    public let payload: [UInt8]
    public let signatures: [Signature]

    public init(payloadType: String, payload: [UInt8], signatures: [Signature]) {
        self.payloadType = payloadType
        self.payload = payload
        self.signatures = signatures
    }

    public init(json: JSONValue) throws(TrustFailure) {
        guard case let .string(type)? = json["payloadType"], case let .string(body)? = json["payload"] else {
            throw TrustFailure(.malformedBundle, "DSSE envelope needs payloadType and payload strings")
        }
        guard case let .array(entries)? = json["signatures"], !entries.isEmpty else {
            throw TrustFailure(.malformedBundle, "DSSE envelope has no signatures")
        }
        var signatures: [Signature] = []
        for entry in entries {
            guard case let .string(sig)? = entry["sig"] else {
                throw TrustFailure(.malformedBundle, "DSSE signature without sig")
            }
            var keyID = ""
            if case let .string(id)? = entry["keyid"] { keyID = id }
            signatures.append(Signature(keyID: keyID, bytes: try Base64.decode(sig, field: "DSSE signature")))
        }
        self.init(payloadType: type, payload: try Base64.decode(body, field: "DSSE payload"), signatures: signatures)
    }

    /// The bytes actually signed: `DSSEv1 <len(type)> <type> <len(body)> <body>`.
    public var preAuthenticationEncoding: [UInt8] {
        Self.preAuthenticationEncoding(payloadType: payloadType, payload: payload)
    }

    public static func preAuthenticationEncoding(payloadType: String, payload: [UInt8]) -> [UInt8] {
        let type = Array(payloadType.utf8)
        return Array("DSSEv1 \(type.count) ".utf8) + type + Array(" \(payload.count) ".utf8) + payload
    }

    public var json: JSONValue {
        .object([
            ("payload", .string(Base64.encode(payload))),
            ("payloadType", .string(payloadType)),
            ("signatures", .array(signatures.map { .object([("keyid", .string($0.keyID)), ("sig", .string(Base64.encode($0.bytes)))]) })),
        ])
    }

    /// The trusted key that signed this envelope. Any one valid signature by a trusted key is
    /// enough (DSSE's threshold of one); signatures by unknown keys are ignored, not errors.
    public func signer(among keys: [TrustedKey], at time: Date) throws(TrustFailure) -> TrustedKey {
        let message = preAuthenticationEncoding
        var expired: TrustedKey?
        for signature in signatures {
            switch keys.match(signature: signature.bytes, message: message, at: time) {
            case let .verified(key): return key
            case let .outsideValidity(key): expired = key
            case .noTrustedKey: continue
            }
        }
        if let expired {
            throw TrustFailure(.keyNotValidAtTime, "signed by \(expired.name), which is not trusted at \(time)")
        }
        throw TrustFailure(.untrustedKey, "no signature on the \(payloadType) envelope verifies with a trusted key")
    }
}
