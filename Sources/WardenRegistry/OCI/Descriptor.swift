import WardenJSON
import WardenTrust

/// An OCI content descriptor: what a blob or manifest is, how big, and its digest.
public struct Descriptor: Sendable, Equatable {
    public var mediaType: String
    public var digest: SHA256Digest
    public var size: Int64
    public var artifactType: String?
    public var annotations: [(key: String, value: String)]

    public init(
        mediaType: String, digest: SHA256Digest, size: Int64, artifactType: String? = nil, annotations: [(key: String, value: String)] = []
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.artifactType = artifactType
        self.annotations = annotations
    }

    public static func == (lhs: Descriptor, rhs: Descriptor) -> Bool {
        lhs.mediaType == rhs.mediaType && lhs.digest == rhs.digest && lhs.size == rhs.size && lhs.artifactType == rhs.artifactType
            && lhs.annotations.elementsEqual(rhs.annotations) { $0.key == $1.key && $0.value == $1.value }
    }

    public func annotation(_ key: String) -> String? { annotations.first { $0.key == key }?.value }

    init(json: JSONValue) throws(RegistryError) {
        guard case let .string(mediaType)? = json["mediaType"], case let .string(digestText)? = json["digest"],
            case let .integer(size)? = json["size"], size >= 0
        else {
            throw RegistryError.malformedManifest("descriptor needs mediaType, digest and a non-negative size")
        }
        guard let digest = SHA256Digest(parsing: digestText) else {
            throw RegistryError.malformedManifest("descriptor digest \(digestText) is not sha256")
        }
        var annotations: [(key: String, value: String)] = []
        if case let .object(members)? = json["annotations"] {
            for (key, value) in members {
                guard case let .string(text) = value else { throw RegistryError.malformedManifest("annotation \(key) is not a string") }
                annotations.append((key, text))
            }
        }
        var artifactType: String?
        if case let .string(type)? = json["artifactType"] { artifactType = type }
        self.init(mediaType: mediaType, digest: digest, size: size, artifactType: artifactType, annotations: annotations)
    }

    var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("mediaType", .string(mediaType)), ("digest", .string(digest.description)), ("size", .integer(size)),
        ]
        if let artifactType { members.append(("artifactType", .string(artifactType))) }
        if !annotations.isEmpty { members.append(("annotations", .object(annotations.map { ($0.key, .string($0.value)) }))) }
        return .object(members)
    }
}

/// Media types Warden reads and writes.
public enum MediaType {
    public static let imageManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let imageIndex = "application/vnd.oci.image.index.v1+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let empty = "application/vnd.oci.empty.v1+json"
    /// A Warden model artifact: one layer per file, titled with its relative path.
    public static let modelArtifact = "application/vnd.warden.model.v1"
    public static let modelFile = "application/vnd.warden.model.file.v1"
    public static let sigstoreBundle = "application/vnd.dev.sigstore.bundle.v0.3+json"
    public static let dsseEnvelope = "application/vnd.dsse.envelope.v1+json"
    public static let revocationList = "application/vnd.warden.revocation-list.v1+json"
    /// A signed policy bundle: one layer per Rego module or data document, titled with its
    /// path, and its DSSE envelope as the last layer.
    public static let policyBundle = "application/vnd.warden.policy-bundle.v1"
    public static let policyFile = "application/vnd.warden.policy-bundle.file.v1"
    public static let titleAnnotation = "org.opencontainers.image.title"
    public static let refNameAnnotation = "org.opencontainers.image.ref.name"
    public static let predicateTypeAnnotation = "predicateType"
}
