import WardenJSON

/// An in-toto Statement (v1, and v0.1 for older producers): what was signed is `predicate`,
/// about the artifacts named in `subject`.
public struct InTotoStatement: Sendable {
    public struct Subject: Sendable, Equatable {
        public let name: String
        public let digests: [String: String]

        public var sha256: SHA256Digest? {
            digests["sha256"].flatMap { SHA256Digest(parsing: $0, prefixOptional: true) }
        }
    }

    public static let payloadType = "application/vnd.in-toto+json"
    static let statementTypes: Set<String> = ["https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1"]

    public let subjects: [Subject]
    public let predicateType: String
    public let predicate: JSONValue

    public init(payload: [UInt8]) throws(TrustFailure) {
        var limits = JSONParser.Limits()
        limits.maxBytes = 16 << 20
        limits.maxDepth = 48
        let json: JSONValue
        do {
            json = try JSONParser.parse(payload, limits: limits)
        } catch {
            throw TrustFailure(.malformedStatement, "in-toto statement is not valid JSON (\(error))")
        }
        guard case let .string(type)? = json["_type"], Self.statementTypes.contains(type) else {
            throw TrustFailure(.malformedStatement, "payload is not an in-toto Statement (v1 or v0.1)")
        }
        guard case let .string(predicateType)? = json["predicateType"], !predicateType.isEmpty else {
            throw TrustFailure(.malformedStatement, "in-toto statement has no predicateType")
        }
        guard case let .array(items)? = json["subject"], !items.isEmpty else {
            throw TrustFailure(.malformedStatement, "in-toto statement has no subject")
        }
        var subjects: [Subject] = []
        for item in items {
            guard case let .object(digestMembers)? = item["digest"], !digestMembers.isEmpty else {
                throw TrustFailure(.malformedStatement, "in-toto subject without a digest")
            }
            var digests: [String: String] = [:]
            for (algorithm, value) in digestMembers {
                guard case let .string(text) = value else {
                    throw TrustFailure(.malformedStatement, "in-toto subject digest \(algorithm) is not a string")
                }
                digests[algorithm] = text
            }
            var name = ""
            if case let .string(text)? = item["name"] { name = text }
            subjects.append(Subject(name: name, digests: digests))
        }
        self.subjects = subjects
        self.predicateType = predicateType
        self.predicate = json["predicate"] ?? .null
    }

    /// True when some subject names `digest` by its SHA-256.
    public func covers(_ digest: SHA256Digest) -> Bool {
        subjects.contains { $0.sha256 == digest }
    }
}
