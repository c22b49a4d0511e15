import Foundation

/// Strict base64 as Sigstore bundles and DSSE envelopes carry it. Protobuf's JSON mapping accepts
/// both the standard and the URL-safe alphabet, with or without padding, so this does too;
/// anything else (whitespace, stray characters) is refused rather than skipped.
enum Base64 {
    static func decode(_ text: String, field: String) throws(TrustFailure) -> [UInt8] {
        var normalized = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        let remainder = normalized.utf8.count % 4
        if remainder == 1 { throw TrustFailure(.malformedBundle, "\(field) is not valid base64") }
        if remainder > 0 { normalized += String(repeating: "=", count: 4 - remainder) }
        guard let data = Data(base64Encoded: normalized) else {
            throw TrustFailure(.malformedBundle, "\(field) is not valid base64")
        }
        return [UInt8](data)
    }

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
    }
}
