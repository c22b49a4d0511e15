import Foundation

/// Strict base64 as Sigstore bundles and DSSE envelopes carry it. Protobuf's JSON mapping accepts
/// both the standard and the URL-safe alphabet, with or without padding, so this does too;
/// anything else (whitespace, stray characters) is refused rather than skipped.
enum Base64 {
    static func decode(_ text: String, field: String) throws(TrustFailure) -> [UInt8] {
        // Bytes, not Characters: the alphabet is ASCII, and grapheme breaking costs more than decoding.
        var normalized = text.utf8.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: "+") : $0 == UInt8(ascii: "_") ? UInt8(ascii: "/") : $0 }
        let remainder = normalized.count % 4
        if remainder == 1 { throw TrustFailure(.malformedBundle, "\(field) is not valid base64") }
        if remainder > 0 { normalized += repeatElement(UInt8(ascii: "="), count: 4 - remainder) }
        guard let data = Data(base64Encoded: Data(normalized)) else {
            throw TrustFailure(.malformedBundle, "\(field) is not valid base64")
        }
        return [UInt8](data)
    }

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
    }
}
