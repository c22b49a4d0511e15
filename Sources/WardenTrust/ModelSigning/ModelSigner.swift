import WardenJSON

/// Signs a model the way `model_signing sign key` does: an in-toto statement listing every
/// file's digest, in a DSSE envelope, in a Sigstore bundle v0.3 with a public-key hint. The
/// real `model_signing verify key` accepts what this writes (tested).
public struct ModelSigner: Sendable {
    public let key: SigningKey
    public let method: SignedModelManifest.Method
    public let ignorePaths: [String]

    public init(key: SigningKey, method: SignedModelManifest.Method = .files, ignorePaths: [String] = []) {
        self.key = key
        self.method = method
        self.ignorePaths = ignorePaths
    }

    /// The bundle JSON for the model at `root`, named `modelName` in the statement's subject.
    public func sign(model root: String, modelName: String) async throws(TrustFailure) -> [UInt8] {
        let ignored = ignorePaths + ModelSignatureVerifier.gitPaths
        let files = try ModelFiles(root: root, ignoring: ignored)
        let resources = try ModelHasher.resources(of: files, method: method)
        let statement = Self.statement(modelName: modelName, resources: resources, method: method, ignorePaths: ignored)
        let envelope = try await DSSEEnvelope.sign(payloadType: InTotoStatement.payloadType, payload: statement, with: key)
        let bundle = JSONValue.object([
            ("mediaType", .string("application/vnd.dev.sigstore.bundle.v0.3+json")),
            (
                "verificationMaterial",
                .object([("publicKey", .object([("hint", .string(key.publicKey.modelSigningHint))])), ("tlogEntries", .array([]))])
            ),
            ("dsseEnvelope", envelope.json),
        ])
        return Array(bundle.serialized().utf8)
    }

    static func statement(
        modelName: String, resources: [SignedModelManifest.Resource], method: SignedModelManifest.Method, ignorePaths: [String]
    ) -> [UInt8] {
        var serialization: [(key: String, value: JSONValue)] = [
            ("method", .string(method.name)), ("hash_type", .string("sha256")), ("allow_symlinks", .bool(false)),
            ("ignore_paths", .array(ignorePaths.map(JSONValue.string))),
        ]
        var algorithm = "sha256"
        if case let .shards(size) = method {
            serialization.append(("shard_size", .integer(size)))
            algorithm = "sha256-sharded-\(size)"
        }
        let root = SHA256Digest.of(resources.flatMap(\.digest.bytes))
        let statement = JSONValue.object([
            ("_type", .string("https://in-toto.io/Statement/v1")),
            ("subject", .array([.object([("name", .string(modelName)), ("digest", .object([("sha256", .string(root.hex))]))])])),
            ("predicateType", .string(SignedModelManifest.predicateTypeV1)),
            (
                "predicate",
                .object([
                    ("serialization", .object(serialization)),
                    (
                        "resources",
                        .array(
                            resources.map {
                                .object([("name", .string($0.name)), ("algorithm", .string(algorithm)), ("digest", .string($0.digest.hex))])
                            })
                    ),
                ])
            ),
        ])
        return Array(statement.serialized().utf8)
    }
}

extension SignedModelManifest.Method {
    var name: String {
        switch self {
        case .files: "files"
        case .shards: "shards"
        }
    }
}
