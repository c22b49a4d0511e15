import Foundation
import Synchronization
import WardenPolicy

/// Where the per-request policy comes from: Rego files (`data.serving.request.allow`) and data
/// files, re-read when they change.
public struct RequestPolicySource: Sendable, Equatable {
    public var files: [String]
    public var dataFiles: [String]
    public var v0Compatible: Bool
    public var reloadInterval: Duration

    public init(files: [String], dataFiles: [String] = [], v0Compatible: Bool = false, reloadInterval: Duration = .milliseconds(200)) {
        self.files = files
        self.dataFiles = dataFiles
        self.v0Compatible = v0Compatible
        self.reloadInterval = reloadInterval
    }
}

/// The request policy in force. A reload swaps it atomically; a new policy that does not load
/// leaves the last good one in place. Decisions fail closed.
public final class RequestPolicy: Sendable {
    public static let decisionPath = ["serving", "request", "allow"]
    public static let reasonsPath = ["serving", "request", "reasons"]
    /// True when a denial switches the version off rather than refusing the client.
    public static let versionBlockedPath = ["serving", "request", "version_blocked"]

    package struct Loaded: Sendable {
        package let policy: Policy
        package let data: Value
        package let fingerprint: [String]
    }

    public struct Decision: Sendable {
        public let allow: Bool
        public let reasons: [String]
        /// The denial is about the version (503 `version_disabled`), not the client (403).
        public var versionBlocked = false
    }

    package let source: RequestPolicySource
    private let current: Mutex<Loaded>
    private let failures = Atomic<Int>(0)
    private let reloads = Atomic<Int>(0)

    /// Loads the policy; a policy that does not load at startup is an error (nothing to fall back on).
    public init(source: RequestPolicySource) throws {
        self.source = source
        current = Mutex(try Self.load(source))
    }

    package static func load(_ source: RequestPolicySource) throws -> Loaded {
        let fingerprint = Self.fingerprint(source)
        let bundle = try PolicyFiles.load(source.files + source.dataFiles)
        let policy = try Policy(modules: bundle.modules, syntax: source.v0Compatible ? .v0 : .v1)
        return Loaded(policy: policy, data: bundle.data, fingerprint: fingerprint)
    }

    /// Size and modification time of every file: a cheap "did anything change" test.
    package static func fingerprint(_ source: RequestPolicySource) -> [String] {
        (source.files + source.dataFiles).map { path in
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
            return "\(path):\(attributes?[.size] ?? -1):\(modified)"
        }
    }

    /// How long a reload may take to read and compile the files before the last good policy
    /// is kept (the parser is linear in its input, so only a very large file comes near it).
    package static let reloadDeadline: Duration = .seconds(2)

    /// Reloads when the files changed, compiling off the caller's task within a deadline.
    /// Returns nil when nothing changed, else the outcome; a failure keeps the last good policy.
    public func reloadIfChanged() async -> Result<Void, any Error>? {
        let fingerprint = Self.fingerprint(source)
        guard fingerprint != current.withLock({ $0.fingerprint }) else { return nil }
        do {
            let source = self.source
            let loaded = try await DetachedWork.run(timeout: Self.reloadDeadline) { try Self.load(source) }
            current.withLock { $0 = loaded }
            reloads.add(1, ordering: .relaxed)
            return .success(())
        } catch {
            // Keep the last good policy, and do not retry the same broken files every tick.
            current.withLock { $0 = Loaded(policy: $0.policy, data: $0.data, fingerprint: fingerprint) }
            failures.add(1, ordering: .relaxed)
            return .failure(error)
        }
    }

    public var reloadFailures: Int { failures.load(ordering: .relaxed) }
    public var reloadCount: Int { reloads.load(ordering: .relaxed) }

    public func decide(_ input: Value) -> Decision {
        let loaded = current.withLock { $0 }
        var options = EvaluationOptions()
        options.timeout = .milliseconds(50)
        do {
            let allow = try loaded.policy.value(of: Self.decisionPath, input: input, data: loaded.data, options: options)
            guard allow == .bool(true) else {
                var reasons: [String] = []
                if case let .set(items)? = try? loaded.policy.value(of: Self.reasonsPath, input: input, data: loaded.data, options: options)
                {
                    reasons = items.map { if case let .string(s) = $0 { s } else { $0.description } }
                }
                let blocked = try? loaded.policy.value(of: Self.versionBlockedPath, input: input, data: loaded.data, options: options)
                return Decision(allow: false, reasons: reasons, versionBlocked: blocked == .bool(true))
            }
            return Decision(allow: true, reasons: [])
        } catch {
            return Decision(allow: false, reasons: ["policy evaluation failed: \(error)"])
        }
    }

    /// Whether the policy switches a version off for every client: `version_blocked` holds,
    /// and `allow` does not, for an inference request that carries no client at all. Returns
    /// the policy's reasons when it does (possibly none), nil when it does not or cannot say.
    public func killReasons(model: String, version: String, now: Date = Date()) -> [String]? {
        let decision = decide(
            Self.input(model: model, version: version, route: "infer", method: "POST", client: nil, withClient: false, now: now))
        return decision.allow || !decision.versionBlocked ? nil : decision.reasons
    }

    /// The policy's input: the model and the version that would answer, the route, the method,
    /// the time, and the client (`spiffe_id` null without mutual TLS) unless `withClient` is
    /// false — the kill switch's question about no client at all.
    package static func input(
        model: String, version: String?, route: String, method: String, client: String?, withClient: Bool = true, now: Date = Date()
    ) -> Value {
        var members: [(key: Value, value: Value)] = []
        if withClient {
            members.append(
                (key: .string("client"), value: .object([(key: .string("spiffe_id"), value: client.map(Value.string) ?? .null)])))
        }
        members += [
            (
                key: .string("model"),
                value: .makeObject([
                    (key: .string("name"), value: .string(model)), (key: .string("version"), value: version.map(Value.string) ?? .null),
                ])
            ),
            (key: .string("route"), value: .string(route)),
            (key: .string("method"), value: .string(method)),
            (key: .string("time_ns"), value: .integer(Int64(now.timeIntervalSince1970 * 1_000_000_000))),
        ]
        return Value.makeObject(members)
    }
}
