import WardenJSON
import WardenTrust

/// An OCI image manifest (also read: Docker schema 2), as Warden stores model artifacts,
/// signatures and attestations.
public struct ImageManifest: Sendable, Equatable {
    public var artifactType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [(key: String, value: String)]

    public init(
        artifactType: String?, config: Descriptor, layers: [Descriptor], subject: Descriptor? = nil,
        annotations: [(key: String, value: String)] = []
    ) {
        self.artifactType = artifactType
        self.config = config
        self.layers = layers
        self.subject = subject
        self.annotations = annotations
    }

    public static func == (lhs: ImageManifest, rhs: ImageManifest) -> Bool {
        lhs.artifactType == rhs.artifactType && lhs.config == rhs.config && lhs.layers == rhs.layers && lhs.subject == rhs.subject
    }

    public static let maximumSize = 4 << 20

    public init(bytes: [UInt8]) throws(RegistryError) {
        let json = try Self.parse(bytes)
        guard case .integer(2)? = json["schemaVersion"] else { throw RegistryError.malformedManifest("schemaVersion is not 2") }
        if case let .string(type)? = json["mediaType"], type != MediaType.imageManifest, type != MediaType.dockerManifest {
            throw RegistryError.malformedManifest("media type \(type) is not an image manifest")
        }
        guard let config = json["config"] else { throw RegistryError.malformedManifest("manifest has no config") }
        guard case let .array(layers)? = json["layers"] else { throw RegistryError.malformedManifest("manifest has no layers") }
        var parsedLayers: [Descriptor] = []
        for layer in layers { parsedLayers.append(try Descriptor(json: layer)) }
        var annotations: [(key: String, value: String)] = []
        if case let .object(members)? = json["annotations"] {
            for case let (key, .string(value)) in members { annotations.append((key, value)) }
        }
        var artifactType: String?
        if case let .string(type)? = json["artifactType"] { artifactType = type }
        self.init(
            artifactType: artifactType, config: try Descriptor(json: config), layers: parsedLayers,
            subject: try json["subject"].map { j throws(RegistryError) in try Descriptor(json: j) }, annotations: annotations)
    }

    static func parse(_ bytes: [UInt8]) throws(RegistryError) -> JSONValue {
        var limits = JSONParser.Limits()
        limits.maxBytes = maximumSize
        limits.maxDepth = 16
        do {
            return try JSONParser.parse(bytes, limits: limits)
        } catch {
            throw RegistryError.malformedManifest("not valid JSON (\(error))")
        }
    }

    /// Canonical bytes: the manifest's digest is the digest of exactly these.
    public var bytes: [UInt8] {
        var members: [(key: String, value: JSONValue)] = [("schemaVersion", .integer(2)), ("mediaType", .string(MediaType.imageManifest))]
        if let artifactType { members.append(("artifactType", .string(artifactType))) }
        members.append(("config", config.json))
        members.append(("layers", .array(layers.map(\.json))))
        if let subject { members.append(("subject", subject.json)) }
        if !annotations.isEmpty { members.append(("annotations", .object(annotations.map { ($0.key, .string($0.value)) }))) }
        return Array(JSONValue.object(members).serialized().utf8)
    }

    /// The manifest's type for referrer listings: artifactType, else the config's media type.
    public var effectiveArtifactType: String { artifactType ?? config.mediaType }

    /// The empty JSON config (`{}`) OCI 1.1 artifacts use.
    public static let emptyConfigBytes: [UInt8] = Array("{}".utf8)
    public static let emptyConfig = Descriptor(mediaType: MediaType.empty, digest: SHA256Digest.of(emptyConfigBytes), size: 2)
}

/// An OCI image index: used for the referrers API's answer and its tag-schema fallback.
public struct ImageIndex: Sendable, Equatable {
    public var manifests: [Descriptor]

    public init(manifests: [Descriptor]) {
        self.manifests = manifests
    }

    public init(bytes: [UInt8]) throws(RegistryError) {
        let json = try ImageManifest.parse(bytes)
        guard case .integer(2)? = json["schemaVersion"], case let .array(items)? = json["manifests"] else {
            throw RegistryError.malformedManifest("not an image index")
        }
        var manifests: [Descriptor] = []
        for item in items { manifests.append(try Descriptor(json: item)) }
        self.manifests = manifests
    }

    public var bytes: [UInt8] {
        Array(
            JSONValue.object([
                ("schemaVersion", .integer(2)), ("mediaType", .string(MediaType.imageIndex)), ("manifests", .array(manifests.map(\.json))),
            ]).serialized().utf8)
    }
}
