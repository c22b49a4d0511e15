import Crypto
import Synchronization
import WardenTrust
import X509

/// A key in a PKCS#11 token (an HSM, a smart card, SoftHSM): it signs there, with one session
/// kept for the key's life and one operation at a time on it.
public final class PKCS11Key: ExternalSigningKey {
    public let publicKey: VerificationKey
    public let location: String
    private let kind: Kind
    private let session: Mutex<SessionBox>

    /// How the key signs: the curve's hash then CKM_ECDSA, or an RSA mechanism.
    enum Kind {
        case ecdsa(PKCS11PublicKey.Curve)
        case rsa(PKCS11Mechanism)
    }

    /// Which RSA padding an RSA key signs with; ECDSA keys ignore it.
    public enum RSAPadding: Sendable {
        case pss, pkcs1v15
    }

    /// The session and the private key's handle in it, used only under the lock.
    struct SessionBox {
        var session: PKCS11Session
        var privateKey: UInt
    }

    /// Opens the key `uri` names for signing: logs in, finds the private key and reads its
    /// public half from the token.
    public init(signingWith uri: PKCS11URI, rsaPadding: RSAPadding = .pss) throws(TrustFailure) {
        let opened = try PKCS11Session(uri: uri)
        location = uri.location
        guard let privateKey = try opened.findObject(.privateKey) else {
            throw TrustFailure(
                .keyNotFound,
                uri.pinSource == nil
                    ? "\(uri.location): no private key found; a private key is visible only after login (add pin-source=file:/path)"
                    : "\(uri.location): no private key with that label and id in the token")
        }
        let keyType = try opened.attribute(.keyType, of: privateKey)
        publicKey = try Self.publicKey(in: opened)
        switch Self.unsignedLong(keyType) {
        case 0:  // CKK_RSA
            kind = .rsa(rsaPadding == .pss ? .rsaPSSSHA256 : .rsaPKCS1SHA256)
        case 3:  // CKK_EC
            kind = .ecdsa(try PKCS11PublicKey.curve(parameters: try opened.attribute(.ecParameters, of: privateKey), at: location))
        default:
            throw TrustFailure(.unsupportedKey, "\(location): key type \(Self.unsignedLong(keyType)) is neither EC nor RSA")
        }
        session = Mutex(SessionBox(session: opened, privateKey: UInt(privateKey)))
    }

    public func signature(for message: [UInt8]) async throws(TrustFailure) -> [UInt8] {
        try session.withLock { box throws(TrustFailure) in
            switch kind {
            case let .ecdsa(curve):
                let raw = try box.session.sign(Self.digest(message, curve), key: box.privateKey, mechanism: .ecdsa)
                return try Self.der(raw, curve: curve, at: location)
            case let .rsa(mechanism):
                return try box.session.sign(message, key: box.privateKey, mechanism: mechanism)
            }
        }
    }

    /// The public key of the object `uri` names: its public key object, else its certificate.
    /// Readable without a login on most tokens, so a verifier needs no PIN.
    public static func publicKey(of uri: PKCS11URI) throws(TrustFailure) -> VerificationKey {
        try publicKey(in: try PKCS11Session(uri: uri))
    }

    private static func publicKey(in session: PKCS11Session) throws(TrustFailure) -> VerificationKey {
        let location = session.uri.location
        if let object = try session.findObject(.publicKey) {
            switch unsignedLong(try session.attribute(.keyType, of: object)) {
            case 0:
                return try PKCS11PublicKey.rsa(
                    modulus: try session.attribute(.modulus, of: object), exponent: try session.attribute(.publicExponent, of: object),
                    at: location)
            case 3:
                let curve = try PKCS11PublicKey.curve(parameters: try session.attribute(.ecParameters, of: object), at: location)
                return try PKCS11PublicKey.ec(curve: curve, point: try session.attribute(.ecPoint, of: object), at: location)
            case let other:
                throw TrustFailure(.unsupportedKey, "\(location): key type \(other) is neither EC nor RSA")
            }
        }
        if let certificate = try session.findObject(.certificate) {
            let der = try session.attribute(.value, of: certificate)
            guard let parsed = try? Certificate(derEncoded: der) else {
                throw TrustFailure(.unsupportedKey, "\(location): the certificate object's CKA_VALUE is not a DER X.509 certificate")
            }
            return VerificationKey(parsed.publicKey)
        }
        throw TrustFailure(.keyNotFound, "\(location): no public key or certificate with that label and id in the token")
    }

    private static func digest(_ message: [UInt8], _ curve: PKCS11PublicKey.Curve) -> [UInt8] {
        switch curve {
        case .p256: Array(SHA256.hash(data: message))
        case .p384: Array(SHA384.hash(data: message))
        case .p521: Array(SHA512.hash(data: message))
        }
    }

    /// CKM_ECDSA returns r‖s; Sigstore bundles and DSSE carry DER.
    private static func der(_ raw: [UInt8], curve: PKCS11PublicKey.Curve, at location: String) throws(TrustFailure) -> [UInt8] {
        do {
            switch curve {
            case .p256: return Array(try P256.Signing.ECDSASignature(rawRepresentation: raw).derRepresentation)
            case .p384: return Array(try P384.Signing.ECDSASignature(rawRepresentation: raw).derRepresentation)
            case .p521: return Array(try P521.Signing.ECDSASignature(rawRepresentation: raw).derRepresentation)
            }
        } catch {
            throw TrustFailure(.keyStoreUnavailable, "\(location): the token returned a \(raw.count)-byte ECDSA signature, not r‖s")
        }
    }

    /// A CK_ULONG attribute value in the machine's byte order.
    private static func unsignedLong(_ bytes: [UInt8]) -> UInt {
        guard bytes.count == MemoryLayout<UInt>.size else { return UInt.max }
        return bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt.self) }
    }
}
