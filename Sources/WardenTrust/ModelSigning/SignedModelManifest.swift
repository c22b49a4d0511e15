import WardenJSON

/// What an OpenSSF model-signing statement says about a model: how it was serialized and the
/// digest of every file (or shard of a file). Read from the in-toto statement inside the bundle.
public struct SignedModelManifest: Sendable, Equatable {
    public enum Method: Sendable, Equatable {
        case files
        /// Files cut into `shardSize`-byte pieces, each named `path:start:end`.
        case shards(shardSize: Int64)
    }

    public struct Resource: Sendable, Equatable {
        /// A file's relative path, or `path:start:end` for a shard.
        public let name: String
        public let digest: SHA256Digest

        public init(name: String, digest: SHA256Digest) {
            self.name = name
            self.digest = digest
        }
    }

    /// The model-signing predicate since model_signing 0.3 / 1.x.
    public static let predicateTypeV1 = "https://model_signing/signature/v1.0"
    /// The predicate model_signing 0.2 wrote: one subject per file.
    public static let predicateTypeDigestsV01 = "https://model_signing/Digests/v0.1"

    public let modelName: String
    public let method: Method
    public let allowSymlinks: Bool
    /// Paths the signer left out of the signature (relative to the model).
    public let ignorePaths: [String]
    /// Sorted by name, as the subject digest commits to them.
    public let resources: [Resource]
    /// The statement's subject digest (for v0.1 manifests, over the resources in name order).
    public let subjectDigest: SHA256Digest

    public init(statement: InTotoStatement) throws(TrustFailure) {
        switch statement.predicateType {
        case Self.predicateTypeV1: try self.init(v1: statement)
        case Self.predicateTypeDigestsV01: try self.init(digestsV01: statement)
        default:
            throw TrustFailure(.malformedStatement, "predicate type \(statement.predicateType) is not a model-signing manifest")
        }
    }

    private init(v1 statement: InTotoStatement) throws(TrustFailure) {
        guard statement.subjects.count == 1, let subjectDigest = statement.subjects[0].sha256 else {
            throw TrustFailure(.malformedStatement, "a model-signing statement has exactly one sha256 subject")
        }
        let predicate = statement.predicate
        guard let serialization = predicate["serialization"], case let .string(method)? = serialization["method"] else {
            throw TrustFailure(.malformedStatement, "model-signing predicate has no serialization method")
        }
        guard case let .string(hashType)? = serialization["hash_type"], hashType == "sha256" else {
            throw TrustFailure(.malformedStatement, "only sha256 model-signing manifests are supported")
        }
        switch method {
        case "files":
            self.method = .files
        case "shards":
            guard let size = Self.positiveInteger(serialization["shard_size"]) else {
                throw TrustFailure(.malformedStatement, "shards serialization without a positive shard_size")
            }
            self.method = .shards(shardSize: size)
        default:
            throw TrustFailure(.malformedStatement, "unknown model-signing serialization method \"\(method)\"")
        }
        if case let .bool(allow)? = serialization["allow_symlinks"] { allowSymlinks = allow } else { allowSymlinks = false }
        var ignorePaths: [String] = []
        if case let .array(items)? = serialization["ignore_paths"] {
            for case let .string(path) in items { ignorePaths.append(path) }
        }
        self.ignorePaths = ignorePaths
        guard case let .array(items)? = predicate["resources"] else {
            throw TrustFailure(.malformedStatement, "model-signing predicate has no resources")
        }
        let expectedAlgorithm: String
        if case let .shards(size) = self.method { expectedAlgorithm = "sha256-sharded-\(size)" } else { expectedAlgorithm = "sha256" }
        var resources: [Resource] = []
        for item in items {
            guard case let .string(name)? = item["name"], case let .string(hex)? = item["digest"],
                let digest = SHA256Digest(parsing: hex, prefixOptional: true)
            else {
                throw TrustFailure(.malformedStatement, "model-signing resource without a name and sha256 digest")
            }
            if case let .string(algorithm)? = item["algorithm"], algorithm != expectedAlgorithm, algorithm != "sha256" {
                throw TrustFailure(.malformedStatement, "resource \(name) uses algorithm \(algorithm), expected \(expectedAlgorithm)")
            }
            resources.append(Resource(name: name, digest: digest))
        }
        self.resources = resources.sorted { $0.name < $1.name }
        modelName = statement.subjects[0].name
        // The subject commits to the resources: SHA-256 over their digests in the order listed
        // (model_signing lists them by path component, shards by numeric offset).
        let recomputed = SHA256Digest.of(resources.flatMap(\.digest.bytes))
        self.subjectDigest = subjectDigest
        guard recomputed == subjectDigest else {
            throw TrustFailure(
                .subjectMismatch, "statement subject \(subjectDigest) does not commit to its resources (they hash to \(recomputed))")
        }
    }

    private init(digestsV01 statement: InTotoStatement) throws(TrustFailure) {
        var resources: [Resource] = []
        for subject in statement.subjects {
            guard let digest = subject.sha256, !subject.name.isEmpty else {
                throw TrustFailure(.malformedStatement, "model-signing v0.1 subject without a name and sha256 digest")
            }
            resources.append(Resource(name: subject.name, digest: digest))
        }
        self.resources = resources.sorted { $0.name < $1.name }
        subjectDigest = SHA256Digest.of(self.resources.flatMap(\.digest.bytes))
        modelName = ""
        method = .files
        allowSymlinks = false
        ignorePaths = []
    }

    /// The subject digest: what the signed statement names the whole model by.
    public var rootDigest: SHA256Digest { subjectDigest }

    /// shard_size is a protobuf Struct number, so producers write it as 8 or 8.0.
    private static func positiveInteger(_ value: JSONValue?) -> Int64? {
        switch value {
        case let .integer(size)? where size > 0: size
        case let .number(size)? where size > 0 && size == size.rounded() && size < 1e15: Int64(size)
        default: nil
        }
    }
}
