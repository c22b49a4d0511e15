import Foundation
import Synchronization
import Testing
import WardenRegistry
import WardenTrust

@testable import WardenServing

/// The signed policy bundle watch, against an OCI layout folder: what it installs, what it
/// refuses while the last good bundle stays, and how it fails closed once the bundle is old.
@Suite struct PolicyBundleWatchTests {
    static let rego = """
        package serving.request
        import rego.v1
        default allow := false
        allow if not version_blocked
        version_blocked if input.model.version in data.serving.request.killed
        reasons contains "switched off by the bundle" if version_blocked
        """

    let ops = SigningKey.generate(.p256)
    let author = SigningKey.generate(.p256)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("warden-bundles-\(UUID().uuidString)").path
    let observer = RecordingBundleObserver()

    var store: PolicyBundleStore { PolicyBundleStore(store: LayoutStore(root: folder)) }

    /// Signs and pushes a bundle killing `killed` under the tag `serving`; returns its digest.
    @discardableResult
    func push(revision: Int64, killed: [String] = [], key: SigningKey? = nil, issuedAt: Date = Date(), maxAge: Int? = nil) async throws
        -> SHA256Digest
    {
        let files = [
            try PolicyBundleFile(path: "serving/request/kill.rego", bytes: Array(Self.rego.utf8)),
            try PolicyBundleFile(
                path: "serving/request/data.json", bytes: Array("{\"killed\": [\(killed.map { "\"\($0)\"" }.joined(separator: ","))]}".utf8)
            ),
        ]
        let manifest = PolicyBundleManifest(revision: revision, roots: ["serving/request"], maxAgeSeconds: maxAge, issuedAt: issuedAt)
        let envelope = try await SignedPolicyBundle.sign(manifest: manifest, files: files, with: key ?? ops)
        try LayoutStore(root: folder).create()
        return try await store.push(files: files, envelope: envelope, tag: "serving").digest
    }

    func watch(_ model: ServedModel, configure: (inout PolicyBundleSettings) -> Void = { _ in }) throws -> PolicyBundleWatch {
        var settings = PolicyBundleSettings(reference: "oci:\(folder):serving", trustPolicyFile: "trust.yaml")
        configure(&settings)
        let trust = try TrustPolicy(
            keys: ["ops": TrustedKey(name: "ops", key: ops.publicKey), "author": TrustedKey(name: "author", key: author.publicKey)],
            modelSigners: ["author"], policySigners: ["ops"])
        let repository = try ModelRepository(models: [model])
        let policy = RequestPolicy(awaitingBundleWith: nil)
        return try PolicyBundleWatch(
            settings: settings, trust: trust, policy: policy,
            killSwitch: KillSwitchWatch(policy: policy, repository: repository, logger: ServingFixtures.logger),
            state: ServerState(repository: repository), observer: observer, logger: ServingFixtures.logger)
    }

    func decide(_ watch: PolicyBundleWatch, version: String = "1") -> RequestPolicy.Decision {
        watch.policy.decide(RequestPolicy.input(model: "churn", version: version, route: "infer", method: "POST", client: nil))
    }

    @Test func untilABundleVerifiesEveryVersionIsSwitchedOff() async throws {
        let model = try ServingFixtures.churn()
        let watch = try watch(model)
        await watch.check()
        #expect(watch.snapshot.lastResult == "failed" && model.isKilled && !decide(watch).allow && decide(watch).versionBlocked)
        let digest = try await push(revision: 1)
        await watch.check()
        let decision = decide(watch)
        #expect(decision.allow && decision.provenance?.revision == 1 && decision.provenance?.digest == digest.description)
        #expect(!model.isKilled && observer.results == ["failed", "activated"])
    }

    @Test func aNewRevisionSwapsInAndKillsTheVersion() async throws {
        let model = try ServingFixtures.churn()
        let watch = try watch(model)
        try await push(revision: 1)
        await watch.check()
        await watch.check()
        try await push(revision: 2, killed: ["1"])
        await watch.check()
        #expect(model.isKilled && decide(watch).versionBlocked && decide(watch).reasons == ["switched off by the bundle"])
        #expect(observer.results == ["activated", "unchanged", "activated"] && observer.revisions == [1, 2])
    }

    @Test func olderRevisionsForeignSignersAndReplaysAreRefusedAndTheLastGoodStays() async throws {
        let model = try ServingFixtures.churn()
        let watch = try watch(model)
        let issued = Date().addingTimeInterval(-60)
        try await push(revision: 5, killed: ["1"], issuedAt: issued)
        await watch.check()
        let attempts: [() async throws -> SHA256Digest] = [
            { try await push(revision: 4) }, { try await push(revision: 6, key: author) },
            { try await push(revision: 5, issuedAt: issued) },
        ]
        for attempt in attempts {
            let digest = try await attempt()
            await watch.check()
            #expect(watch.snapshot.lastResult == "rejected" && watch.snapshot.rejectedDigest == digest)
            #expect(decide(watch).provenance?.revision == 5 && model.isKilled)
        }
        #expect(watch.snapshot.lastFailure?.contains("untrusted_key") == false)  // the last one was the replay
        #expect(watch.snapshot.lastFailure?.contains("policy_bundle_rollback") == true)
        // The same revision signed again later refreshes its age; a rejected digest is not fetched again.
        await watch.check()
        #expect(observer.results.suffix(1) == ["rejected"] && watch.snapshot.lastFailure?.contains("policy_bundle_rollback") == true)
        try await push(revision: 5, killed: ["1"])
        await watch.check()
        #expect(watch.snapshot.lastResult == "activated" && watch.snapshot.manifest!.issuedAt > issued)
    }

    @Test func theConfiguredFloorRefusesOldBundlesOnAFreshReplica() async throws {
        let model = try ServingFixtures.churn()
        let watch = try watch(model) { $0.minimumRevision = 10 }
        try await push(revision: 9)
        await watch.check()
        #expect(watch.snapshot.lastFailure?.contains("older than 10") == true && model.isKilled)
    }

    @Test func aBundleOlderThanItsMaxAgeFailsClosedUntilAFreshOneArrives() async throws {
        let model = try ServingFixtures.churn()
        let watch = try watch(model)
        let now = Date()
        try await push(revision: 1, issuedAt: now, maxAge: 30)
        await watch.check(now: now)
        #expect(decide(watch).allow)
        await watch.check(now: now.addingTimeInterval(29))
        #expect(decide(watch).allow && observer.ages.last?.stale == false)
        await watch.check(now: now.addingTimeInterval(31))
        let stale = decide(watch)
        #expect(!stale.allow && stale.versionBlocked && stale.reasons.first?.contains("max_age") == true && model.isKilled)
        #expect(observer.ages.last?.stale == true && (observer.ages.last?.seconds ?? 0) > 30)
        try await push(revision: 2, issuedAt: now.addingTimeInterval(31), maxAge: 30)
        await watch.check(now: now.addingTimeInterval(32))
        #expect(decide(watch).allow && !model.isKilled)
    }

    @Test func theReplicasBoundOnAgeAppliesWhenShorterAndStalenessMayOnlyWarn() async throws {
        let model = try ServingFixtures.churn()
        let strict = try watch(model) { $0.maxAge = .seconds(5) }
        let now = Date()
        try await push(revision: 1, issuedAt: now, maxAge: 3600)
        await strict.check(now: now.addingTimeInterval(6))
        #expect(!decide(strict).allow)
        let lenient = try watch(try ServingFixtures.churn()) { $0.failClosedWhenStale = false }
        try await push(revision: 2, issuedAt: now, maxAge: 5)
        await lenient.check(now: now.addingTimeInterval(6))
        #expect(decide(lenient).allow)
    }

    @Test func rootsBoundWhatABundleMayDefine() throws {
        let outside = try PolicyBundleFile(
            path: "serving/startup/gate.rego", bytes: Array("package serving.startup\npermit := true\n".utf8))
        let data = try PolicyBundleFile(path: "other/data.json", bytes: Array("{}".utf8))
        let module = try PolicyBundleFile(path: "serving/request/kill.rego", bytes: Array(Self.rego.utf8))
        let manifest = PolicyBundleManifest(revision: 1, roots: ["serving/request"])
        #expect(throws: PolicyFileError.self) { try PolicyBundleCompiler.compile([module, outside], manifest: manifest, provenance: nil) }
        #expect(throws: PolicyFileError.self) { try PolicyBundleCompiler.compile([module, data], manifest: manifest, provenance: nil) }
        #expect(throws: Never.self) {
            try PolicyBundleCompiler.compile([module, outside, data], manifest: .init(revision: 1), provenance: nil)
        }
        #expect(throws: PolicyFileError.self) { try PolicyBundleCompiler.compile([data], manifest: .init(revision: 1), provenance: nil) }
    }
}

final class RecordingBundleObserver: PolicyBundleObserver {
    private let state = Mutex<(results: [String], revisions: [Int64], ages: [(seconds: Double, stale: Bool)])>(([], [], []))
    var results: [String] { state.withLock { $0.results } }
    var revisions: [Int64] { state.withLock { $0.revisions } }
    var ages: [(seconds: Double, stale: Bool)] { state.withLock { $0.ages } }

    func checked(result: String) { state.withLock { $0.results.append(result) } }
    func activated(revision: Int64, digest: String) { state.withLock { $0.revisions.append(revision) } }
    func age(seconds: Double, stale: Bool) { state.withLock { $0.ages.append((seconds, stale)) } }
    func breakerState(_ state: CircuitBreaker.State) {}
}
