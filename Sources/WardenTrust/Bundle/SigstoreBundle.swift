import WardenJSON

/// A Sigstore bundle (`application/vnd.dev.sigstore.bundle…`), versions 0.1 to 0.3: the
/// verification material (a public-key hint, a certificate, or a chain) and the signed content
/// (a message signature over an artifact digest, or a DSSE envelope).
public struct SigstoreBundle: Sendable {
    public enum Version: String, Sendable {
        case v0_1 = "0.1", v0_2 = "0.2", v0_3 = "0.3"
    }

    public enum Material: Sendable {
        /// Signed with a key the verifier must already hold; the hint only names it.
        case publicKey(hint: String)
        /// Leaf first, then any intermediates.
        case certificates([[UInt8]])
    }

    public enum Content: Sendable {
        case messageSignature(digestAlgorithm: String, digest: [UInt8], signature: [UInt8])
        case dsse(DSSEEnvelope)
    }

    public let version: Version
    public let material: Material
    public let content: Content
    /// Transparency-log entries, kept as JSON for the keyless verifier.
    public let transparencyLogEntries: [JSONValue]
    /// DER RFC 3161 timestamp responses over the signature (`timestampVerificationData`).
    public let rfc3161Timestamps: [[UInt8]]

    public static let maximumSize = 16 << 20

    public init(bytes: [UInt8]) throws(TrustFailure) {
        var limits = JSONParser.Limits()
        limits.maxBytes = Self.maximumSize
        limits.maxDepth = 32
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes, limits: limits)
        } catch {
            throw TrustFailure(.malformedBundle, "bundle is not valid JSON (\(error))")
        }
        try self.init(json: json)
    }

    public init(json: JSONValue) throws(TrustFailure) {
        guard case .object = json else { throw TrustFailure(.malformedBundle, "bundle is not a JSON object") }
        guard case let .string(mediaType)? = json["mediaType"] else {
            throw TrustFailure(.malformedBundle, "bundle has no mediaType")
        }
        version = try Self.version(of: mediaType)
        guard let material = json["verificationMaterial"] else {
            throw TrustFailure(.malformedBundle, "bundle has no verificationMaterial")
        }
        self.material = try Self.material(material)
        if case let .array(entries)? = material["tlogEntries"] {
            transparencyLogEntries = entries
        } else {
            transparencyLogEntries = []
        }
        rfc3161Timestamps = try Self.timestamps(material["timestampVerificationData"])
        switch (json["messageSignature"], json["dsseEnvelope"]) {
        case let (signature?, nil):
            content = try Self.messageSignature(signature)
        case let (nil, envelope?):
            content = .dsse(try DSSEEnvelope(json: envelope))
        default:
            throw TrustFailure(.malformedBundle, "bundle must hold exactly one of messageSignature and dsseEnvelope")
        }
    }

    static let mediaTypes: [String: Version] = [
        "application/vnd.dev.sigstore.bundle+json;version=0.1": .v0_1,
        "application/vnd.dev.sigstore.bundle+json;version=0.2": .v0_2,
        "application/vnd.dev.sigstore.bundle+json;version=0.3": .v0_3,
        "application/vnd.dev.sigstore.bundle.v0.3+json": .v0_3,
    ]

    private static func version(of mediaType: String) throws(TrustFailure) -> Version {
        guard let version = mediaTypes[mediaType] else {
            throw TrustFailure(.unknownMediaType, "unknown bundle media type \"\(mediaType)\"")
        }
        return version
    }

    private static func material(_ json: JSONValue) throws(TrustFailure) -> Material {
        if let key = json["publicKey"] {
            var hint = ""
            if case let .string(text)? = key["hint"] { hint = text }
            return .publicKey(hint: hint)
        }
        if let chain = json["x509CertificateChain"] {
            guard case let .array(items)? = chain["certificates"], !items.isEmpty else {
                throw TrustFailure(.malformedBundle, "x509CertificateChain has no certificates")
            }
            var certificates: [[UInt8]] = []
            for item in items {
                certificates.append(try rawBytes(item, field: "certificate"))
            }
            return .certificates(certificates)
        }
        if let certificate = json["certificate"] {
            return .certificates([try rawBytes(certificate, field: "certificate")])
        }
        throw TrustFailure(.malformedBundle, "verificationMaterial holds no publicKey, certificate or x509CertificateChain")
    }

    private static func timestamps(_ json: JSONValue?) throws(TrustFailure) -> [[UInt8]] {
        guard case let .array(items)? = json?["rfc3161Timestamps"] else { return [] }
        return try items.map { item throws(TrustFailure) in
            guard case let .string(text)? = item["signedTimestamp"] else {
                throw TrustFailure(.malformedBundle, "an RFC 3161 timestamp has no signedTimestamp")
            }
            return try Base64.decode(text, field: "signedTimestamp")
        }
    }

    private static func rawBytes(_ json: JSONValue, field: String) throws(TrustFailure) -> [UInt8] {
        guard case let .string(text)? = json["rawBytes"], !text.isEmpty else {
            throw TrustFailure(.malformedBundle, "\(field) has no rawBytes")
        }
        return try Base64.decode(text, field: field)
    }

    private static func messageSignature(_ json: JSONValue) throws(TrustFailure) -> Content {
        guard case let .string(signature)? = json["signature"] else {
            throw TrustFailure(.malformedBundle, "messageSignature has no signature")
        }
        var algorithm = ""
        var digest: [UInt8] = []
        if let messageDigest = json["messageDigest"] {
            guard case let .string(name)? = messageDigest["algorithm"], case let .string(value)? = messageDigest["digest"] else {
                throw TrustFailure(.malformedBundle, "messageDigest needs algorithm and digest")
            }
            algorithm = name
            digest = try Base64.decode(value, field: "messageDigest")
        }
        let bytes = try Base64.decode(signature, field: "messageSignature.signature")
        guard !bytes.isEmpty else { throw TrustFailure(.malformedBundle, "messageSignature.signature is empty") }
        return .messageSignature(digestAlgorithm: algorithm, digest: digest, signature: bytes)
    }
}
