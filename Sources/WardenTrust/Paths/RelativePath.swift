/// A file name inside an artifact: relative, `/`-separated, with no `.`/`..` or empty components.
/// Every name that came from a manifest, a layer annotation or a statement passes through here
/// before it touches the filesystem, so a signed-but-hostile name cannot escape the directory.
public struct RelativePath: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: String

    public init(_ value: String) throws(TrustFailure) {
        guard !value.isEmpty, value.utf8.count <= 1024 else {
            throw TrustFailure(.unsafePath, "file name \"\(value.prefix(80))\" is empty or too long")
        }
        guard !value.hasPrefix("/") else {
            throw TrustFailure(.unsafePath, "file name \"\(value)\" is absolute")
        }
        guard !value.utf8.contains(where: { $0 == 0 || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) else {
            throw TrustFailure(.unsafePath, "file name \"\(value)\" holds a control character or backslash")
        }
        for component in value.split(separator: "/", omittingEmptySubsequences: false) {
            guard !component.isEmpty, component != ".", component != ".." else {
                throw TrustFailure(.unsafePath, "file name \"\(value)\" has an empty, . or .. component")
            }
        }
        self.value = value
    }

    public var description: String { value }
    public static func < (lhs: RelativePath, rhs: RelativePath) -> Bool { lhs.value < rhs.value }

    /// True when this path is `prefix` itself or lies under it.
    public func isWithin(_ prefix: String) -> Bool {
        value == prefix || value.hasPrefix(prefix.hasSuffix("/") ? prefix : prefix + "/")
    }
}
