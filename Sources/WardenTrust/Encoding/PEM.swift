import Foundation

/// PEM blocks (`-----BEGIN LABEL-----` … `-----END LABEL-----`), read the way OpenSSL reads
/// them: base64 lines of any length (some producers write one long line), surrounding text
/// ignored, but a block whose body is not base64 refused.
enum PEM {
    struct Block {
        let label: String
        let der: [UInt8]
    }

    static func blocks(in text: String) throws(TrustFailure) -> [Block] {
        var blocks: [Block] = []
        var label: String?
        var body = ""
        for raw in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if let current = label {
                if line == "-----END \(current)-----" {
                    guard let data = Data(base64Encoded: body), !data.isEmpty else {
                        throw TrustFailure(.malformedKey, "PEM block \(current) is not base64")
                    }
                    blocks.append(Block(label: current, der: Array(data)))
                    label = nil
                    body = ""
                } else {
                    body += line
                }
            } else if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                label = String(line.dropFirst("-----BEGIN ".count).dropLast("-----".count))
            }
        }
        guard label == nil else { throw TrustFailure(.malformedKey, "PEM block \(label!) has no END line") }
        return blocks
    }
}
