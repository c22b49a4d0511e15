/// One file of a policy bundle: a Rego module (`.rego`) or a data document (`.json`, `.yaml`,
/// `.yml`, mounted at its folder's path), named by its path inside the bundle.
public struct PolicyBundleFile: Sendable, Equatable {
    public let path: String
    public let bytes: [UInt8]

    public static let extensions = [".rego", ".json", ".yaml", ".yml"]
    /// Bounds on what a replica downloads and compiles every time a bundle changes.
    public static let maximumFiles = 512
    public static let maximumTotalBytes = 16 << 20

    /// `path` must be relative and plain (no `.`, `..`, empty or hidden components) and name a
    /// module or a data document: the same rules for the author's folder and for what a
    /// registry serves, so a hostile manifest cannot name a file outside the bundle.
    public init(path: String, bytes: [UInt8]) throws(TrustFailure) {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !path.hasPrefix("/"), components.allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") }),
            path.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F && $0 != "\\" })
        else {
            throw TrustFailure(.unsafePath, "policy bundle file \"\(path)\" is not a plain relative path")
        }
        guard Self.extensions.contains(where: path.hasSuffix) else {
            throw TrustFailure(
                .unexpectedFile,
                "policy bundle file \(path) is neither a Rego module nor a data document (\(Self.extensions.joined(separator: ", ")))")
        }
        self.path = path
        self.bytes = bytes
    }

    public var digest: SHA256Digest { SHA256Digest.of(bytes) }
    public var isModule: Bool { path.hasSuffix(".rego") }
}
