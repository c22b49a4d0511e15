import Foundation
import WardenJSON

/// What a signed policy bundle declares about itself: its revision (which only grows, so an
/// older bundle is a rollback), the data roots it owns, the Rego syntax of its modules, how
/// long a replica may keep enforcing it without confirming it is still current, and when it
/// was signed. Written by `warden policy push` from the folder's `.manifest` (OPA's bundle
/// manifest fields) and carried, signed, as the in-toto statement's predicate.
public struct PolicyBundleManifest: Sendable, Equatable {
    public var revision: Int64
    /// Data paths the bundle owns (`serving/request`): every package and data document must lie
    /// under one. Empty: the whole data tree, as OPA reads a manifest without roots.
    public var roots: [String]
    /// 0 or 1, as OPA's `rego_version`.
    public var regoVersion: Int
    /// How long a replica may go without confirming this bundle is current before the
    /// decisions it covers fail closed; nil: never stale.
    public var maxAgeSeconds: Int?
    public var issuedAt: Date

    public init(revision: Int64, roots: [String] = [], regoVersion: Int = 1, maxAgeSeconds: Int? = nil, issuedAt: Date = Date()) {
        self.revision = revision
        self.roots = roots
        self.regoVersion = regoVersion
        self.maxAgeSeconds = maxAgeSeconds
        self.issuedAt = issuedAt
    }

    /// Reads OPA's `.manifest` as an author writes it: `revision` (an integer, or a string of
    /// digits), `roots`, `rego_version` and `metadata.max_age_seconds`. Unknown fields are
    /// refused, so a misspelt `max_age` does not silently mean "never stale".
    public init(authored bytes: [UInt8]) throws(TrustFailure) {
        let json = try Self.object(bytes, what: ".manifest")
        try Self.refuseUnknown(json, allowed: ["revision", "roots", "rego_version", "metadata"], what: ".manifest")
        var maxAge: Int?
        if let metadata = json["metadata"] {
            guard case .object = metadata else { throw Self.invalid(".manifest metadata must be an object") }
            try Self.refuseUnknown(metadata, allowed: ["max_age_seconds"], what: ".manifest metadata")
            maxAge = try Self.maxAge(metadata["max_age_seconds"])
        }
        self.init(
            revision: try Self.revision(json["revision"]), roots: try Self.roots(json["roots"]),
            regoVersion: try Self.regoVersion(json["rego_version"]), maxAgeSeconds: maxAge)
    }

    /// The signed predicate's form (`issued_at` included).
    public init(predicate json: JSONValue) throws(TrustFailure) {
        guard case let .string(issued)? = json["issued_at"], let issuedAt = ISO8601DateFormatter().date(from: issued) else {
            throw Self.invalid("the bundle predicate has no issued_at")
        }
        self.init(
            revision: try Self.revision(json["revision"]), roots: try Self.roots(json["roots"]),
            regoVersion: try Self.regoVersion(json["rego_version"]), maxAgeSeconds: try Self.maxAge(json["max_age_seconds"]),
            issuedAt: issuedAt)
    }

    public var predicate: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("revision", .integer(revision)), ("roots", .array(roots.map(JSONValue.string))),
            ("rego_version", .integer(Int64(regoVersion))),
        ]
        if let maxAgeSeconds { members.append(("max_age_seconds", .integer(Int64(maxAgeSeconds)))) }
        members.append(("issued_at", .string(ISO8601DateFormatter().string(from: issuedAt))))
        return .object(members)
    }

    /// OPA's `.manifest`, as `warden policy pull` writes it back (revision as a string, as OPA has it).
    public var authored: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("revision", .string(String(revision))), ("roots", .array(roots.map(JSONValue.string))),
            ("rego_version", .integer(Int64(regoVersion))),
        ]
        if let maxAgeSeconds { members.append(("metadata", .object([("max_age_seconds", .integer(Int64(maxAgeSeconds)))]))) }
        return .object(members)
    }

    private static func object(_ bytes: [UInt8], what: String) throws(TrustFailure) -> JSONValue {
        guard let json = try? JSONParser.parse(bytes), case .object = json else { throw invalid("\(what) is not a JSON object") }
        return json
    }

    private static func refuseUnknown(_ json: JSONValue, allowed: Set<String>, what: String) throws(TrustFailure) {
        guard case let .object(members) = json else { return }
        if let unknown = members.map(\.0).first(where: { !allowed.contains($0) }) {
            throw invalid("\(what) has an unknown field \"\(unknown)\" (known: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    private static func revision(_ value: JSONValue?) throws(TrustFailure) -> Int64 {
        switch value {
        case let .integer(number)? where number >= 0: return number
        case let .string(text)? where !text.isEmpty && text.allSatisfy(\.isASCII) && text.allSatisfy(\.isNumber):
            guard let number = Int64(text) else { throw invalid("revision \(text) is out of range") }
            return number
        default: throw invalid("revision must be a non-negative integer (it only grows: a lower one is a rollback)")
        }
    }

    private static func roots(_ value: JSONValue?) throws(TrustFailure) -> [String] {
        guard let value else { return [] }
        guard case let .array(items) = value else { throw invalid("roots must be a list of data paths") }
        var roots: [String] = []
        for item in items {
            guard case let .string(root) = item, !root.hasPrefix("/"), !root.hasSuffix("/") else {
                throw invalid("each root is a data path such as serving/request")
            }
            roots.append(root)
        }
        return roots
    }

    private static func regoVersion(_ value: JSONValue?) throws(TrustFailure) -> Int {
        switch value {
        case nil: return 1
        case .integer(0)?: return 0
        case .integer(1)?: return 1
        default: throw invalid("rego_version must be 0 or 1")
        }
    }

    private static func maxAge(_ value: JSONValue?) throws(TrustFailure) -> Int? {
        switch value {
        case nil: return nil
        case let .integer(seconds)? where seconds >= 1 && seconds <= Int64(Int32.max): return Int(seconds)
        default: throw invalid("max_age_seconds must be a whole number of seconds, at least 1")
        }
    }

    static func invalid(_ detail: String) -> TrustFailure { TrustFailure(.policyBundleInvalid, detail) }
}
