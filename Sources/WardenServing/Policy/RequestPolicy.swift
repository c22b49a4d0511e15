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

/// Where the policy in force came from, when it came from a signed bundle: every decision
/// carries it (audit line, metric label, trace attribute), and `/admin/policies` shows it.
public struct PolicyProvenance: Sendable, Equatable {
    public let revision: Int64
    /// The bundle's manifest digest, `sha256:…`.
    public let digest: String
    /// The trust policy's name for the key that signed it.
    public let signer: String
    /// How long the bundle may go unconfirmed before its decisions fail closed.
    public let maxAge: Duration?

    public init(revision: Int64, digest: String, signer: String, maxAge: Duration?) {
        self.revision = revision
        self.digest = digest
        self.signer = signer
        self.maxAge = maxAge
    }
}

/// Who counts the request policy's decisions (the metrics, in the server).
package protocol PolicyDecisionObserver: Sendable {
    /// `outcome`: allow, deny or version_blocked; `revision` of the bundle in force, if any.
    func decided(outcome: String, revision: Int64?)
}

/// The request policy in force: from files (re-read when they change; a new policy that does
/// not load leaves the last good one in place) or from signed bundles a watch installs. A
/// bundle-fed policy with no bundle yet, or whose bundle went stale, switches every version
/// off. Decisions fail closed.
public final class RequestPolicy: Sendable {
    public static let decisionPath = ["serving", "request", "allow"]
    public static let reasonsPath = ["serving", "request", "reasons"]
    /// True when a denial switches the version off rather than refusing the client.
    public static let versionBlockedPath = ["serving", "request", "version_blocked"]

    package struct Loaded: Sendable {
        package let policy: Policy
        package let data: Value
        package let fingerprint: [String]
        package var provenance: PolicyProvenance?

        package init(policy: Policy, data: Value, fingerprint: [String] = [], provenance: PolicyProvenance? = nil) {
            self.policy = policy
            self.data = data
            self.fingerprint = fingerprint
            self.provenance = provenance
        }
    }

    public struct Decision: Sendable {
        public let allow: Bool
        public let reasons: [String]
        /// The denial is about the version (503 `version_disabled`), not the client (403).
        public var versionBlocked = false
        /// The bundle that decided, when the policy came from one.
        public var provenance: PolicyProvenance?
    }

    /// The files, for a policy read from files; nil for one fed by signed bundles.
    package let source: RequestPolicySource?
    private let current: Mutex<Loaded?>
    private let stale = Atomic<Bool>(false)
    private let failures = Atomic<Int>(0)
    private let reloads = Atomic<Int>(0)
    private let observer: (any PolicyDecisionObserver)?

    /// Loads the policy; a policy that does not load at startup is an error (nothing to fall back on).
    public convenience init(source: RequestPolicySource) throws {
        try self.init(source: source, observer: nil)
    }

    package init(source: RequestPolicySource, observer: (any PolicyDecisionObserver)?) throws {
        self.source = source
        self.observer = observer
        current = Mutex(try Self.load(source))
    }

    /// A policy fed by signed bundles: until the first one is installed it denies everything
    /// and switches every version off.
    package init(awaitingBundleWith observer: (any PolicyDecisionObserver)?) {
        source = nil
        self.observer = observer
        current = Mutex(nil)
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
    /// Returns nil when nothing changed (or the policy is fed by bundles), else the outcome; a
    /// failure keeps the last good policy.
    public func reloadIfChanged() async -> Result<Void, any Error>? {
        guard let source else { return nil }
        let fingerprint = Self.fingerprint(source)
        guard fingerprint != current.withLock({ $0?.fingerprint }) else { return nil }
        do {
            let loaded = try await DetachedWork.run(timeout: Self.reloadDeadline) { try Self.load(source) }
            current.withLock { $0 = loaded }
            reloads.add(1, ordering: .relaxed)
            return .success(())
        } catch {
            // Keep the last good policy, and do not retry the same broken files every tick.
            current.withLock { loaded in loaded = loaded.map { Loaded(policy: $0.policy, data: $0.data, fingerprint: fingerprint) } }
            failures.add(1, ordering: .relaxed)
            return .failure(error)
        }
    }

    /// Puts a verified bundle's policy in force, atomically; it is current again.
    package func install(_ loaded: Loaded) {
        current.withLock { $0 = loaded }
        stale.store(false, ordering: .sequentiallyConsistent)
        reloads.add(1, ordering: .relaxed)
    }

    /// Marks the bundle in force as stale (its decisions then fail closed) or current again.
    /// Returns whether that changed.
    package func setStale(_ value: Bool) -> Bool {
        stale.exchange(value, ordering: .sequentiallyConsistent) != value
    }

    package var isStale: Bool { stale.load(ordering: .relaxed) }
    /// The bundle in force, for a bundle-fed policy that has one.
    package var provenance: PolicyProvenance? { current.withLock { $0?.provenance } }

    public var reloadFailures: Int { failures.load(ordering: .relaxed) }
    public var reloadCount: Int { reloads.load(ordering: .relaxed) }

    /// A request's decision, counted by outcome and bundle revision.
    public func decide(_ input: Value) -> Decision {
        let decision = evaluate(input)
        let outcome = decision.allow ? "allow" : decision.versionBlocked ? "version_blocked" : "deny"
        observer?.decided(outcome: outcome, revision: decision.provenance?.revision)
        return decision
    }

    private func evaluate(_ input: Value) -> Decision {
        guard let loaded = current.withLock({ $0 }) else {
            return Decision(allow: false, reasons: ["no verified policy bundle is in force yet"], versionBlocked: true)
        }
        if stale.load(ordering: .relaxed) {
            let revision = loaded.provenance.map { " revision \($0.revision)" } ?? ""
            return Decision(
                allow: false, reasons: ["the policy bundle\(revision) is older than its max_age"], versionBlocked: true,
                provenance: loaded.provenance)
        }
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
                return Decision(allow: false, reasons: reasons, versionBlocked: blocked == .bool(true), provenance: loaded.provenance)
            }
            return Decision(allow: true, reasons: [], provenance: loaded.provenance)
        } catch {
            return Decision(allow: false, reasons: ["policy evaluation failed: \(error)"], provenance: loaded.provenance)
        }
    }

    /// Whether the policy switches a version off for every client: `version_blocked` holds,
    /// and `allow` does not, for an inference request that carries no client at all. Returns
    /// the policy's reasons when it does (possibly none), nil when it does not or cannot say.
    public func killReasons(model: String, version: String, now: Date = Date()) -> [String]? {
        let decision = evaluate(
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
