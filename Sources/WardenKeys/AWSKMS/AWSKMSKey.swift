import Crypto
import Foundation
import WardenJSON
import WardenTrust

/// A signing key in AWS KMS: its public key read with GetPublicKey when opened, each signature
/// made by Sign. Messages up to KMS's 4 KiB limit are sent whole (KMS hashes them); larger
/// ones as the digest Warden computed, so no message is too big to sign.
public final class AWSKMSKey: ExternalSigningKey {
    public let publicKey: VerificationKey
    public let location: String
    private let client: AWSKMSClient
    private let algorithm: SigningAlgorithm

    /// The KMS signing algorithms Warden uses, by key spec: the curve's own hash for ECDSA,
    /// PSS with SHA-256 for RSA (what swift-crypto verifies).
    enum SigningAlgorithm: String {
        case ecdsaSHA256 = "ECDSA_SHA_256"
        case ecdsaSHA384 = "ECDSA_SHA_384"
        case ecdsaSHA512 = "ECDSA_SHA_512"
        case rsaPSSSHA256 = "RSASSA_PSS_SHA_256"

        init?(keySpec: String) {
            switch keySpec {
            case "ECC_NIST_P256": self = .ecdsaSHA256
            case "ECC_NIST_P384": self = .ecdsaSHA384
            case "ECC_NIST_P521": self = .ecdsaSHA512
            case "RSA_2048", "RSA_3072", "RSA_4096": self = .rsaPSSSHA256
            default: return nil
            }
        }

        func digest(_ message: [UInt8]) -> [UInt8] {
            switch self {
            case .ecdsaSHA256, .rsaPSSSHA256: Array(SHA256.hash(data: message))
            case .ecdsaSHA384: Array(SHA384.hash(data: message))
            case .ecdsaSHA512: Array(SHA512.hash(data: message))
            }
        }
    }

    /// Opens `uri`: asks KMS for the public key and checks it can sign.
    public convenience init(_ uri: AWSKMSKeyURI) async throws(TrustFailure) {
        try await self.init(uri, environment: .current())
    }

    init(_ uri: AWSKMSKeyURI, environment: AWSEnvironment, retry: AWSKMSClient.Retry = .init()) async throws(TrustFailure) {
        client = try AWSKMSClient(key: uri, environment: environment, retry: retry)
        location = "\(uri) (region \(client.region))"
        let answer = try await client.call("GetPublicKey", .object([("KeyId", .string(uri.keyID))]))
        guard let encoded = answer["PublicKey"].flatMap(AWSKMSClient.string), let der = Data(base64Encoded: encoded) else {
            throw TrustFailure(.keyStoreUnavailable, "\(location): GetPublicKey answered without a PublicKey")
        }
        let usage = answer["KeyUsage"].flatMap(AWSKMSClient.string) ?? "?"
        guard usage == "SIGN_VERIFY" else {
            throw TrustFailure(.unsupportedKey, "\(location): the key's usage is \(usage), not SIGN_VERIFY")
        }
        let spec = answer["KeySpec"].flatMap(AWSKMSClient.string) ?? answer["CustomerMasterKeySpec"].flatMap(AWSKMSClient.string) ?? "?"
        guard let algorithm = SigningAlgorithm(keySpec: spec) else {
            throw TrustFailure(
                .unsupportedKey, "\(location): key spec \(spec) is not one Warden signs with (ECC_NIST_P256/P384/P521, RSA_2048/3072/4096)")
        }
        self.algorithm = algorithm
        publicKey = try VerificationKey(der: [UInt8](der))
    }

    /// The largest message KMS signs whole (its RAW limit).
    static let rawMessageLimit = 4096

    public func signature(for message: [UInt8]) async throws(TrustFailure) -> [UInt8] {
        let raw = message.count <= Self.rawMessageLimit
        let answer = try await client.call(
            "Sign",
            .object([
                ("KeyId", .string(client.key.keyID)),
                ("Message", .string(Data(raw ? message : algorithm.digest(message)).base64EncodedString())),
                ("MessageType", .string(raw ? "RAW" : "DIGEST")), ("SigningAlgorithm", .string(algorithm.rawValue)),
            ]))
        guard let encoded = answer["Signature"].flatMap(AWSKMSClient.string), let signature = Data(base64Encoded: encoded) else {
            throw TrustFailure(.keyStoreUnavailable, "\(location): Sign answered without a Signature")
        }
        return [UInt8](signature)
    }
}
