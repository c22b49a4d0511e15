import Crypto
import Foundation
import SwiftASN1
import X509

/// A Signed Certificate Timestamp that Fulcio embedded in a signing certificate (RFC 6962
/// §3.3, extension 1.3.6.1.4.1.11129.2.4.2): a CT log's promise that it logged the
/// precertificate. It is verified against the CT log keys of the trusted root, over the
/// precertificate's TBS as the log saw it: the certificate's TBS without the SCT extension.
public struct EmbeddedSCT: Sendable {
    public let logID: [UInt8]
    /// Milliseconds since the epoch.
    public let timestamp: UInt64
    public let extensions: [UInt8]
    public let signature: [UInt8]

    static let extensionID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 11129, 2, 4, 2]

    /// The SCTs of a certificate; none when it has no SCT extension.
    public static func all(in certificate: Certificate) throws(TrustFailure) -> [EmbeddedSCT] {
        guard let ext = certificate.extensions[oid: extensionID] else { return [] }
        guard let list = try? ASN1OctetString(derEncoded: ext.value) else {
            throw TrustFailure(.certificateInvalid, "the certificate's SCT list is not an OCTET STRING")
        }
        var reader = TLSReader(Array(list.bytes))
        guard let total = reader.uint(2), total == reader.remaining else {
            throw TrustFailure(.certificateInvalid, "the certificate's SCT list has a wrong length")
        }
        var found: [EmbeddedSCT] = []
        while reader.remaining > 0 {
            guard let length = reader.uint(2), var sct = reader.bytes(Int(length)).map(TLSReader.init),
                sct.uint(1) == 0, let logID = sct.bytes(32), let timestamp = sct.uint(8), let extLength = sct.uint(2),
                let extensions = sct.bytes(Int(extLength)), sct.uint(1) != nil, sct.uint(1) != nil,
                let sigLength = sct.uint(2), let signature = sct.bytes(Int(sigLength)), sct.remaining == 0
            else { throw TrustFailure(.certificateInvalid, "the certificate's SCT list is malformed") }
            found.append(EmbeddedSCT(logID: logID, timestamp: timestamp, extensions: extensions, signature: signature))
        }
        return found
    }

    public var time: Date { Date(timeIntervalSince1970: Double(timestamp) / 1000) }

    /// Whether a CT log the root trusts at the SCT's time signed it for this certificate,
    /// issued by `issuer`.
    public func isValid(for certificate: Certificate, issuer: Certificate, in root: TrustedRoot) -> Bool {
        guard let log = root.certificateTransparencyLog(keyID: logID), let key = log.key, log.validity.contains(time),
            let tbs = try? Self.precertificateTBS(of: certificate)
        else { return false }
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(issuer.publicKey)) != nil else { return false }
        var signed: [UInt8] = [0, 0]  // v1, certificate_timestamp
        signed += Self.bigEndian(timestamp, bytes: 8)
        signed += [0, 1]  // precert_entry
        signed += Array(SHA256.hash(data: serializer.serializedBytes))
        signed += Self.bigEndian(UInt64(tbs.count), bytes: 3) + tbs
        signed += Self.bigEndian(UInt64(extensions.count), bytes: 2) + extensions
        return key.isValidSignature(signature, for: signed)
    }

    /// The certificate's DER TBSCertificate with the SCT-list extension taken out: what the CT
    /// log signed, before Fulcio added its SCT.
    static func precertificateTBS(of certificate: Certificate) throws -> [UInt8] {
        let tbs = try DER.parse(Array(certificate.tbsCertificateBytes))
        guard case let .constructed(fields) = tbs.content else { throw TrustFailure(.certificateInvalid, "TBS is not a SEQUENCE") }
        var content: [UInt8] = []
        for field in fields {
            guard field.identifier == ASN1Identifier(tagWithNumber: 3, tagClass: .contextSpecific) else {
                content += field.encodedBytes
                continue
            }
            guard case let .constructed(wrapped) = field.content, let sequence = wrapped.first(where: { _ in true }),
                case let .constructed(extensions) = sequence.content
            else { throw TrustFailure(.certificateInvalid, "TBS extensions are malformed") }
            var kept: [UInt8] = []
            for ext in extensions {
                guard case let .constructed(parts) = ext.content, let oid = parts.first(where: { _ in true }) else {
                    throw TrustFailure(.certificateInvalid, "an extension is malformed")
                }
                if (try? ASN1ObjectIdentifier(derEncoded: oid)) != extensionID { kept += ext.encodedBytes }
            }
            content += DERWriter.node(tag: 0xA3, DERWriter.node(tag: 0x30, kept))
        }
        return DERWriter.node(tag: 0x30, content)
    }

    static func bigEndian(_ value: UInt64, bytes: Int) -> [UInt8] {
        (0..<bytes).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }
}

/// Reads TLS presentation-language fields (big-endian integers, byte strings).
struct TLSReader {
    private let data: [UInt8]
    private var offset = 0

    init(_ data: [UInt8]) { self.data = data }

    var remaining: Int { data.count - offset }

    mutating func uint(_ width: Int) -> UInt64? {
        guard let bytes = bytes(width) else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, remaining >= count else { return nil }
        defer { offset += count }
        return Array(data[offset..<offset + count])
    }
}

/// DER tag-length-value, for rebuilding a structure from parsed parts.
enum DERWriter {
    static func node(tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var out = [tag]
        if content.count < 0x80 {
            out.append(UInt8(content.count))
        } else {
            let length = EmbeddedSCT.bigEndian(UInt64(content.count), bytes: 8).drop { $0 == 0 }
            out.append(0x80 | UInt8(length.count))
            out += length
        }
        return out + content
    }
}
