import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WardenConfig
import WardenRegistry
import WardenTrust

/// Polls the registry for the signed request-policy bundle, verifies it (signed by a
/// `policy_signers` key, every file as signed, revision not below the one in force), compiles
/// it off the poller's task and swaps it in atomically. A bundle that fails any step is
/// audited, counted and shown as a readiness warning, and the last good one stays. A bundle
/// older than its max age (since it was signed) fails closed: every version it covers is
/// switched off until a current one arrives. After each poll the kill switch is re-asked.
package final class PolicyBundleWatch: Sendable {
    /// What the watch knows beyond the policy itself, for `/admin/policies`.
    package struct Status: Sendable {
        package var manifest: PolicyBundleManifest?
        package var digest: SHA256Digest?
        package var signer: String?
        package var activatedAt: Date?
        package var lastCheckAt: Date?
        package var lastResult: String?
        package var lastFailure: String?
        /// A rejected bundle's digest: re-polled, it is not fetched and audited again.
        package var rejectedDigest: SHA256Digest?
    }

    package let settings: PolicyBundleSettings
    package let policy: RequestPolicy
    private let reference: ArtifactReference
    private let signers: [TrustedKey]
    private let killSwitch: KillSwitchWatch
    private let state: ServerState
    private let breaker: CircuitBreaker
    private let observer: any PolicyBundleObserver
    private let tls: OutboundTLSSettings?
    private let logger: Logger
    private let status = Mutex(Status())

    package init(
        settings: PolicyBundleSettings, trust: TrustPolicy, policy: RequestPolicy, killSwitch: KillSwitchWatch, state: ServerState,
        tls: OutboundTLSSettings? = nil, observer: any PolicyBundleObserver, logger: Logger
    ) throws {
        guard !trust.policySigners.isEmpty else {
            throw ConfigurationError("\(settings.trustPolicyFile) names no policy_signers: nobody may sign policy bundles")
        }
        do {
            reference = try ArtifactReference(parsing: settings.reference)
        } catch {
            throw ConfigurationError("policies.bundle.reference: \(error)")
        }
        self.settings = settings
        self.policy = policy
        signers = trust.keys(named: trust.policySigners)
        self.killSwitch = killSwitch
        self.state = state
        self.tls = tls
        self.observer = observer
        self.logger = logger
        breaker = CircuitBreaker(name: "policy_bundle", settings: settings.breaker) { observer.breakerState($0) }
    }

    package var snapshot: Status { status.withLock { $0 } }

    /// One poll: resolve the tag, fetch and verify what changed, install it; then judge the
    /// age of whatever is in force and refresh the kill switch.
    package func check(now: Date = Date()) async {
        let (result, failure) = await poll(now: now)
        observer.checked(result: result)
        status.withLock { found in
            found.lastCheckAt = now
            found.lastResult = result
            if let failure { found.lastFailure = failure }
        }
        state.setWarning("policy_bundle", failure.map { "policy bundle \(settings.reference): \($0); the last good bundle stays in force" })
        judgeAge(now: now)
        killSwitch.refresh()
    }

    private func poll(now: Date) async -> (result: String, failure: String?) {
        let fetched: (digest: SHA256Digest, artifact: PolicyBundleArtifact?)
        do {
            fetched = try await fetch()
        } catch {
            let circuitOpen = error is CircuitBreaker.OpenError
            let reason = circuitOpen ? "the registry's circuit breaker is open" : "\(error)"
            // One audit line when the registry stops answering, not one per poll while it stays down.
            let wasFailing = status.withLock { ["failed", "circuit_open"].contains($0.lastResult) }
            if !circuitOpen, !wasFailing {
                AuditEvent.policyBundleCheckFailed(reference: settings.reference, reason: reason).log(to: logger)
            }
            return (circuitOpen ? "circuit_open" : "failed", reason)
        }
        guard let artifact = fetched.artifact else {
            // The tag still names the bundle already rejected: still refused, for the same reason.
            let repeated = status.withLock { $0.rejectedDigest == fetched.digest ? $0.lastFailure : nil }
            return repeated.map { ("rejected", $0) } ?? ("unchanged", nil)
        }
        do {
            try await install(artifact, now: now)
            return ("activated", nil)
        } catch {
            status.withLock { $0.rejectedDigest = artifact.digest }
            let reason = (error as? TrustFailure)?.description ?? "\(error)"
            AuditEvent.policyBundleRejected(reference: settings.reference, digest: artifact.digest.description, reason: reason).log(
                to: logger)
            return ("rejected", reason)
        }
    }

    /// The tag's digest, and the bundle when it is neither the one in force nor one already rejected.
    private func fetch() async throws -> (digest: SHA256Digest, artifact: PolicyBundleArtifact?) {
        let (reference, settings, tls) = (reference, settings, tls)
        let known = status.withLock { [$0.digest, $0.rejectedDigest].compactMap { $0 } }
        return try await breaker.run { () async throws -> (digest: SHA256Digest, artifact: PolicyBundleArtifact?) in
            try await withDeadline(
                RevocationWatch.pollDeadline(settings.interval),
                timeout: { TrustFailure(.registryError, "reading \(settings.reference) did not finish in time") }
            ) {
                let store = PolicyBundleStore(
                    store: try StoreOpener.store(for: reference, credentialsFile: settings.registryCredentialsFile, tls: tls))
                guard let digest = try await store.resolve(reference.reference) else {
                    throw TrustFailure(.registryError, "no policy bundle at \(settings.reference)")
                }
                return known.contains(digest) ? (digest, nil) : (digest, try await store.fetch(digest))
            }
        }
    }

    private func install(_ artifact: PolicyBundleArtifact, now: Date) async throws {
        let (manifest, signer) = try SignedPolicyBundle.verified(
            envelope: artifact.envelope, files: artifact.files, signers: signers, at: now)
        try Self.refuseRollback(manifest, over: status.withLock { $0.manifest }, minimum: settings.minimumRevision, now: now)
        let provenance = PolicyProvenance(
            revision: manifest.revision, digest: artifact.digest.description, signer: signer.name,
            maxAge: manifest.maxAgeSeconds.map { .seconds($0) })
        let files = artifact.files
        let loaded = try await DetachedWork.run(timeout: RequestPolicy.reloadDeadline) {
            try PolicyBundleCompiler.compile(files, manifest: manifest, provenance: provenance)
        }
        // Judged again under the lock: a check SIGHUP started alongside may have installed a
        // newer bundle while this one compiled.
        let previous = try status.withLock { found throws(TrustFailure) -> PolicyBundleManifest? in
            try Self.refuseRollback(manifest, over: found.manifest, minimum: settings.minimumRevision, now: now)
            let previous = found.manifest
            policy.install(loaded)
            found.manifest = manifest
            found.digest = artifact.digest
            found.signer = signer.name
            found.activatedAt = now
            found.rejectedDigest = nil
            return previous
        }
        observer.activated(revision: manifest.revision, digest: artifact.digest.description)
        AuditEvent.policyBundleActivated(
            reference: settings.reference, revision: manifest.revision, digest: artifact.digest.description, signer: signer.name,
            previousRevision: previous?.revision
        ).log(to: logger)
    }

    /// A bundle below the revision in force (or the configured floor) is a rollback; one at the
    /// same revision is a re-signing of it, accepted only when signed later (a refresh of its
    /// age), and a bundle signed in the future is refused.
    package static func refuseRollback(
        _ manifest: PolicyBundleManifest, over running: PolicyBundleManifest?, minimum: Int64, now: Date
    ) throws(TrustFailure) {
        guard manifest.issuedAt <= now.addingTimeInterval(300) else {
            throw TrustFailure(
                .policyBundleInvalid, "policy bundle revision \(manifest.revision) is signed in the future (\(manifest.issuedAt))")
        }
        let floor = max(minimum, running?.revision ?? minimum)
        guard manifest.revision >= floor else {
            throw TrustFailure(
                .policyBundleRollback, "policy bundle revision \(manifest.revision) is older than \(floor) (rollback refused)")
        }
        if let running, manifest.revision == running.revision, manifest.issuedAt <= running.issuedAt {
            throw TrustFailure(
                .policyBundleRollback,
                "policy bundle revision \(manifest.revision) is already in force, signed at \(running.issuedAt); a change needs a higher revision"
            )
        }
    }

    /// The effective max age: the shorter of the bundle's and this replica's.
    package func maxAge(_ manifest: PolicyBundleManifest) -> Duration? {
        let bundle = manifest.maxAgeSeconds.map { Duration.seconds($0) }
        return switch (bundle, settings.maxAge) {
        case let (a?, b?): min(a, b)
        case let (a, b): a ?? b
        }
    }

    private func judgeAge(now: Date) {
        guard let manifest = status.withLock({ $0.manifest }) else { return }
        let age = now.timeIntervalSince(manifest.issuedAt)
        let limit = maxAge(manifest)
        let stale = limit.map { age > $0.seconds } ?? false
        observer.age(seconds: age, stale: stale)
        guard settings.failClosedWhenStale else {
            state.setWarning("policy_bundle_age", stale ? "policy bundle revision \(manifest.revision) is older than its max age" : nil)
            return
        }
        if policy.setStale(stale), stale {
            AuditEvent.policyBundleStale(revision: manifest.revision, issuedAt: manifest.issuedAt, maxAgeSeconds: limit?.seconds ?? 0)
                .log(to: logger)
        }
    }
}

/// Polls every interval (less jitter) after the first check, which runs before warm-up.
package struct PolicyBundleWatchService: Service {
    package let watch: PolicyBundleWatch

    package func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: watch.settings.nextWait())
                await watch.check()
            }
        }
    }

    package init(watch: PolicyBundleWatch) {
        self.watch = watch
    }
}
