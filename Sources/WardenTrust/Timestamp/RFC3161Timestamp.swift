import Foundation
import SwiftASN1
import X509

/// A timestamp authority's signed statement that some bytes existed at a time (RFC 3161): a
/// TimeStampResp whose token is a CMS SignedData (RFC 5652) over a TSTInfo. Sigstore bundles
/// carry them in `timestampVerificationData.rfc3161Timestamps[].signedTimestamp`, over the
/// artifact's signature, so a signature can be placed in time without a transparency log.
public struct RFC3161Timestamp: Sendable {
    /// What the authority says it saw: the hash of the stamped bytes, and when.
    public let hashAlgorithm: VerificationKey.SignatureHash
    public let hashedMessage: [UInt8]
    public let time: Date
    /// The DER TSTInfo, as signed.
    let content: [UInt8]
    /// Certificates the response carries; the signer's may be among them.
    public let certificates: [Certificate]
    let signer: SignerInfo

    /// The one signer of the token: whom it names, and its signature over the signed attributes.
    struct SignerInfo: Sendable {
        enum Identifier: Sendable {
            case issuerAndSerial(DistinguishedName, [UInt8])
            case subjectKeyIdentifier([UInt8])
        }
        let identifier: Identifier
        let digestAlgorithm: VerificationKey.SignatureHash
        /// The signed attributes, re-tagged as the SET OF that was signed.
        let signedAttributes: [UInt8]
        let contentType: ASN1ObjectIdentifier
        let messageDigest: [UInt8]
        let signatureHash: VerificationKey.SignatureHash
        let signature: [UInt8]

        func names(_ certificate: Certificate) -> Bool {
            switch identifier {
            case let .issuerAndSerial(issuer, serial):
                return certificate.issuer == issuer && Array(certificate.serialNumber.bytes) == serial
            case let .subjectKeyIdentifier(id):
                guard let key = try? certificate.extensions.subjectKeyIdentifier else { return false }
                return Array(key.keyIdentifier) == id
            }
        }
    }

    static let signedDataType: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 7, 2]
    static let tstInfoType: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 9, 16, 1, 4]
    static let contentTypeAttribute: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 9, 3]
    static let messageDigestAttribute: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 9, 4]

    public init(response der: [UInt8]) throws(TrustFailure) {
        do {
            self = try Self.parse(der)
        } catch let failure as TrustFailure {
            throw failure
        } catch {
            throw TrustFailure(.timestampInvalid, "the RFC 3161 timestamp is not valid DER (\(error))")
        }
    }

    private init(
        hashAlgorithm: VerificationKey.SignatureHash, hashedMessage: [UInt8], time: Date, content: [UInt8],
        certificates: [Certificate], signer: SignerInfo
    ) {
        self.hashAlgorithm = hashAlgorithm
        self.hashedMessage = hashedMessage
        self.time = time
        self.content = content
        self.certificates = certificates
        self.signer = signer
    }

    // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL }
    private static func parse(_ der: [UInt8]) throws -> RFC3161Timestamp {
        try DER.sequence(try DER.parse(der), identifier: .sequence) { nodes in
            let status = try DER.sequence(required(nodes.next(), "status"), identifier: .sequence) { status in
                let value = try Int(derEncoded: &status)
                while status.next() != nil {}
                return value
            }
            // 0 granted, 1 granted with modifications; anything else carries no token.
            guard status == 0 || status == 1 else { throw TrustFailure(.timestampInvalid, "the timestamp response's status is \(status)") }
            guard let token = nodes.next() else { throw TrustFailure(.timestampInvalid, "the timestamp response holds no token") }
            guard nodes.next() == nil else { throw TrustFailure(.timestampInvalid, "the timestamp response has trailing fields") }
            return try signedData(token)
        }
    }

    // ContentInfo ::= SEQUENCE { contentType, content [0] EXPLICIT SignedData }
    private static func signedData(_ contentInfo: ASN1Node) throws -> RFC3161Timestamp {
        try DER.sequence(contentInfo, identifier: .sequence) { nodes in
            guard try ASN1ObjectIdentifier(derEncoded: &nodes) == signedDataType else {
                throw TrustFailure(.timestampInvalid, "the timestamp token is not CMS SignedData")
            }
            return try DER.explicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { node in
                try DER.sequence(node, identifier: .sequence) { fields in
                    _ = try Int(derEncoded: &fields)  // version
                    _ = fields.next()  // digestAlgorithms: the signer names its own
                    let content = try encapsulatedTSTInfo(required(fields.next(), "encapContentInfo"))
                    var certificates: [Certificate] = []
                    var next = fields.next()
                    if let node = next, node.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
                        guard case let .constructed(items) = node.content else { throw missing("certificates") }
                        for item in items where item.identifier == .sequence { certificates.append(try Certificate(derEncoded: item)) }
                        next = fields.next()
                    }
                    if let node = next, node.identifier == ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific) {
                        next = fields.next()  // CRLs: revocation of TSA certificates is not checked offline
                    }
                    let signers = try DER.set(required(next, "signerInfos"), identifier: .set) { infos in
                        var all: [SignerInfo] = []
                        while let info = infos.next() { all.append(try signerInfo(info)) }
                        return all
                    }
                    guard signers.count == 1 else {
                        throw TrustFailure(.timestampInvalid, "the timestamp token must have exactly one signer, not \(signers.count)")
                    }
                    let info = try tstInfo(content)
                    return RFC3161Timestamp(
                        hashAlgorithm: info.hash, hashedMessage: info.hashedMessage, time: info.time, content: content,
                        certificates: certificates, signer: signers[0])
                }
            }
        }
    }

    // EncapsulatedContentInfo ::= SEQUENCE { eContentType, eContent [0] EXPLICIT OCTET STRING }
    private static func encapsulatedTSTInfo(_ node: ASN1Node) throws -> [UInt8] {
        try DER.sequence(node, identifier: .sequence) { nodes in
            guard try ASN1ObjectIdentifier(derEncoded: &nodes) == tstInfoType else {
                throw TrustFailure(.timestampInvalid, "the timestamp token does not hold a TSTInfo")
            }
            return try DER.explicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { node in
                Array(try ASN1OctetString(derEncoded: node).bytes)
            }
        }
    }

    // TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber, genTime, ... }
    private static func tstInfo(_ der: [UInt8]) throws -> (hash: VerificationKey.SignatureHash, hashedMessage: [UInt8], time: Date) {
        try DER.sequence(try DER.parse(der), identifier: .sequence) { nodes in
            guard try Int(derEncoded: &nodes) == 1 else { throw TrustFailure(.timestampInvalid, "the TSTInfo version is not 1") }
            _ = try ASN1ObjectIdentifier(derEncoded: &nodes)  // policy
            let (hash, hashed) = try DER.sequence(required(nodes.next(), "messageImprint"), identifier: .sequence) { imprint in
                (try digestAlgorithm(required(imprint.next(), "hashAlgorithm")), Array(try ASN1OctetString(derEncoded: &imprint).bytes))
            }
            _ = nodes.next()  // serialNumber
            let time = try GeneralizedTime(derEncoded: &nodes)
            while nodes.next() != nil {}  // accuracy, ordering, nonce, tsa, extensions
            return (hash, hashed, date(time))
        }
    }

    // SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, signedAttrs [0] IMPLICIT,
    //   signatureAlgorithm, signature OCTET STRING, unsignedAttrs [1] IMPLICIT OPTIONAL }
    private static func signerInfo(_ node: ASN1Node) throws -> SignerInfo {
        try DER.sequence(node, identifier: .sequence) { nodes in
            _ = try Int(derEncoded: &nodes)
            let sid = try required(nodes.next(), "sid")
            let identifier: SignerInfo.Identifier
            if sid.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
                guard case let .primitive(bytes) = sid.content else { throw missing("subjectKeyIdentifier") }
                identifier = .subjectKeyIdentifier(Array(bytes))
            } else {
                identifier = try DER.sequence(sid, identifier: .sequence) { parts in
                    let issuer = try DistinguishedName(derEncoded: try required(parts.next(), "issuer"))
                    let serial = try ArraySlice<UInt8>(derEncoded: &parts)
                    return .issuerAndSerial(issuer, Array(serial))
                }
            }
            let digest = try digestAlgorithm(required(nodes.next(), "digestAlgorithm"))
            guard let attributes = nodes.next(), attributes.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific),
                case let .constructed(items) = attributes.content
            else { throw TrustFailure(.timestampInvalid, "the timestamp's signer has no signed attributes") }
            var contentType: ASN1ObjectIdentifier?
            var messageDigest: [UInt8]?
            for item in items {
                try DER.sequence(item, identifier: .sequence) { parts in
                    let type = try ASN1ObjectIdentifier(derEncoded: &parts)
                    let values = try required(parts.next(), "attribute values")
                    guard case let .constructed(list) = values.content, let value = list.first(where: { _ in true }) else { return }
                    if type == contentTypeAttribute { contentType = try ASN1ObjectIdentifier(derEncoded: value) }
                    if type == messageDigestAttribute { messageDigest = Array(try ASN1OctetString(derEncoded: value).bytes) }
                }
            }
            guard let contentType, let messageDigest else {
                throw TrustFailure(.timestampInvalid, "the timestamp's signed attributes lack the content type or message digest")
            }
            // What was signed is the attributes' DER with the SET OF tag, not the [0] they travel under.
            let signedAttributes = [0x31] + attributes.encodedBytes.dropFirst()
            let signatureHash = try signatureAlgorithm(required(nodes.next(), "signatureAlgorithm"), digest: digest)
            let signature = Array(try ASN1OctetString(derEncoded: &nodes).bytes)
            return SignerInfo(
                identifier: identifier, digestAlgorithm: digest, signedAttributes: Array(signedAttributes), contentType: contentType,
                messageDigest: messageDigest, signatureHash: signatureHash, signature: signature)
        }
    }

    private static let digests: [ASN1ObjectIdentifier: VerificationKey.SignatureHash] = [
        [2, 16, 840, 1, 101, 3, 4, 2, 1]: .sha256, [2, 16, 840, 1, 101, 3, 4, 2, 2]: .sha384, [2, 16, 840, 1, 101, 3, 4, 2, 3]: .sha512,
    ]

    private static let signatureAlgorithms: [ASN1ObjectIdentifier: VerificationKey.SignatureHash] = [
        [1, 2, 840, 10045, 4, 3, 2]: .sha256, [1, 2, 840, 10045, 4, 3, 3]: .sha384, [1, 2, 840, 10045, 4, 3, 4]: .sha512,
        [1, 2, 840, 113_549, 1, 1, 11]: .sha256, [1, 2, 840, 113_549, 1, 1, 12]: .sha384, [1, 2, 840, 113_549, 1, 1, 13]: .sha512,
    ]
    /// rsaEncryption and Ed25519 name no hash of their own: the signer's digest algorithm applies.
    private static let keyOnlyAlgorithms: Set<ASN1ObjectIdentifier> = [[1, 2, 840, 113_549, 1, 1, 1], [1, 3, 101, 112]]

    private static func algorithm(_ node: ASN1Node) throws -> ASN1ObjectIdentifier {
        try DER.sequence(node, identifier: .sequence) { parts in
            let oid = try ASN1ObjectIdentifier(derEncoded: &parts)
            while parts.next() != nil {}
            return oid
        }
    }

    private static func digestAlgorithm(_ node: ASN1Node) throws -> VerificationKey.SignatureHash {
        let oid = try algorithm(node)
        guard let hash = digests[oid] else { throw TrustFailure(.timestampInvalid, "digest algorithm \(oid) is not supported") }
        return hash
    }

    private static func signatureAlgorithm(_ node: ASN1Node, digest: VerificationKey.SignatureHash) throws
        -> VerificationKey.SignatureHash
    {
        let oid = try algorithm(node)
        if keyOnlyAlgorithms.contains(oid) { return digest }
        guard let hash = signatureAlgorithms[oid] else {
            throw TrustFailure(.timestampInvalid, "signature algorithm \(oid) is not supported")
        }
        return hash
    }

    private static func required(_ node: ASN1Node?, _ field: String) throws(TrustFailure) -> ASN1Node {
        guard let node else { throw missing(field) }
        return node
    }

    private static func missing(_ field: String) -> TrustFailure {
        TrustFailure(.timestampInvalid, "the timestamp token's \(field) is missing or malformed")
    }

    private static func date(_ time: GeneralizedTime) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(
            year: time.year, month: time.month, day: time.day, hour: time.hours, minute: time.minutes, second: time.seconds)
        return calendar.date(from: components)!.addingTimeInterval(time.fractionalSeconds)
    }
}
