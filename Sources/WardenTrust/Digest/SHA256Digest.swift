import Crypto
import Foundation

/// A SHA-256 digest, written `sha256:<64 hex>` as OCI and Warden's pins write it.
public struct SHA256Digest: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "a SHA-256 digest is 32 bytes")
        self.bytes = bytes
    }

    /// Parses `sha256:<hex>` (or bare hex when `prefixOptional`); nil for anything else.
    public init?(parsing text: String, prefixOptional: Bool = false) {
        var hex = Substring(text)
        if hex.hasPrefix("sha256:") {
            hex = hex.dropFirst("sha256:".count)
        } else if !prefixOptional {
            return nil
        }
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ Self.isLowerHex($0) }), let bytes = Hex.decode(String(hex)) else {
            return nil
        }
        self.bytes = bytes
    }

    public static func of(_ data: some DataProtocol) -> SHA256Digest {
        SHA256Digest(bytes: Array(SHA256.hash(data: data)))
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { "sha256:" + hex }

    public static func < (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    private static func isLowerHex(_ c: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c)
    }
}
