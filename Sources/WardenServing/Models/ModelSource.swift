/// A model directory to serve, as the configuration names it.
public struct ModelSource: Sendable, Equatable {
    public var directory: String
    public var name: String?
    public var version: String?
    /// The pinned artifact digest: the directory must be exactly what `warden fetch`
    /// installed for it, re-hashed before loading.
    public var expectedDigest: String?

    public init(directory: String, name: String? = nil, version: String? = nil, expectedDigest: String? = nil) {
        self.directory = directory
        self.name = name
        self.version = version
        self.expectedDigest = expectedDigest
    }
}
