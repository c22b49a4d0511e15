import WardenTrust

/// Where an artifact is: `oci:PATH:TAG` / `oci:PATH@sha256:…` for an image-layout folder (as
/// skopeo and oras write them), or `HOST[:PORT]/REPOSITORY:TAG` / `…@sha256:…` for a registry.
public struct ArtifactReference: Sendable, Equatable, CustomStringConvertible {
    public enum Location: Sendable, Equatable {
        case layout(path: String)
        case registry(host: String, repository: String)
    }

    public let location: Location
    /// A tag, or a digest in `sha256:` form.
    public let reference: String
    /// The tag of a `NAME:TAG@sha256:…` reference: the digest is what is pulled, and the tag
    /// must still point at it.
    public let tag: String?

    public var digest: SHA256Digest? { SHA256Digest(parsing: reference) }

    public init(location: Location, reference: String, tag: String? = nil) {
        self.location = location
        self.reference = reference
        self.tag = tag
    }

    public init(parsing text: String) throws(RegistryError) {
        if text.hasPrefix("oci:") {
            var body = String(text.dropFirst(4))
            var digestText: String?
            if let at = body.range(of: "@sha256:") {
                digestText = String(body[body.index(after: at.lowerBound)...])
                body = String(body[..<at.lowerBound])
            }
            // A layout path may hold colons: the tag is after the last one, when it is a tag.
            var tag: String?
            if let colon = body.lastIndex(of: ":"), !body[..<colon].isEmpty, !body[colon...].contains("/") {
                tag = try Self.tag(String(body[body.index(after: colon)...]))
                body = String(body[..<colon])
            }
            guard !body.isEmpty, digestText != nil || tag != nil else {
                throw RegistryError.malformedReference(
                    "\(text): expected oci:PATH:TAG, oci:PATH@sha256:DIGEST or oci:PATH:TAG@sha256:DIGEST")
            }
            try self.init(location: .layout(path: body), tag: tag, digestText: digestText)
            return
        }
        guard let slash = text.firstIndex(of: "/") else {
            throw RegistryError.malformedReference("\(text): expected HOST[:PORT]/REPOSITORY:TAG or oci:PATH:TAG")
        }
        let host = String(text[..<slash])
        var rest = String(text[text.index(after: slash)...])
        var digestText: String?
        if let at = rest.range(of: "@") {
            digestText = String(rest[at.upperBound...])
            rest = String(rest[..<at.lowerBound])
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = try Self.tag(String(rest[rest.index(after: colon)...]))
            rest = String(rest[..<colon])
        }
        guard Self.isRepositoryName(rest) else { throw RegistryError.malformedReference("\(text): bad repository name \(rest)") }
        try self.init(
            location: .registry(host: host, repository: rest), tag: digestText == nil ? (tag ?? "latest") : tag, digestText: digestText)
    }

    /// With a digest, the digest is the reference and a tag beside it is kept to be checked.
    private init(location: Location, tag: String?, digestText: String?) throws(RegistryError) {
        guard let digestText else {
            self.init(location: location, reference: tag ?? "latest")
            return
        }
        guard SHA256Digest(parsing: digestText) != nil else { throw RegistryError.malformedReference("bad digest \(digestText)") }
        self.init(location: location, reference: digestText, tag: tag)
    }

    /// OCI tag grammar: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
    static func tag(_ text: String) throws(RegistryError) -> String {
        let allowed = { (c: Character) in c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "." || c == "-") }
        guard let first = text.first, first != ".", first != "-", text.count <= 128, text.allSatisfy(allowed) else {
            throw RegistryError.malformedReference("bad tag \"\(text)\"")
        }
        return text
    }

    /// OCI repository grammar, lowercase path components separated by `/`.
    static func isRepositoryName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 255
            && text.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { component in
                guard let first = component.first, first.isLowercase || first.isNumber else { return false }
                return component.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || "._-".contains($0)) }
            }
    }

    /// The same location with another tag or digest.
    public func with(reference: String) -> ArtifactReference { ArtifactReference(location: location, reference: reference) }

    private var tagPrefix: String { tag.map { ":\($0)" } ?? "" }

    /// The repository without tag or digest, as cosign's `docker-reference` names it.
    public var repositoryName: String {
        switch location {
        case let .layout(path): "oci:\(path)"
        case let .registry(host, repository): "\(host)/\(repository)"
        }
    }

    public var description: String {
        switch location {
        case let .layout(path): digest != nil ? "oci:\(path)\(tagPrefix)@\(reference)" : "oci:\(path):\(reference)"
        case let .registry(host, repository):
            digest != nil ? "\(host)/\(repository)\(tagPrefix)@\(reference)" : "\(host)/\(repository):\(reference)"
        }
    }
}
