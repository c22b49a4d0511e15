import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WardenConfig
import WardenRegistry
import WardenTrust

/// Where the signed revocation list is and who may sign it (`revocation:` in the configuration).
public struct RevocationWatchSettings: Sendable {
    /// The list's tag in a store: `oci:PATH:revocations` or `HOST/REPOSITORY:revocations`.
    public var list: String
    /// The trust policy whose `revocation` rule names the signers and the minimum serial.
    public var trustPolicyFile: String
    public var interval: Duration = .seconds(60)
    /// Without a current list (expired, or none readable since the last one expired), stop
    /// serving until one is back.
    public var failClosedWhenStale = true
    public var registryCredentialsFile: String?
    package var breaker = CircuitBreaker.Settings(failureThreshold: 3, openDuration: .seconds(60))

    public init(list: String, trustPolicyFile: String) {
        self.list = list
        self.trustPolicyFile = trustPolicyFile
    }

    package init(reading map: inout StrictMapping) throws {
        guard let list = try map.string("list") else {
            throw ConfigurationError("revocation.list is required (oci:PATH:TAG or HOST/REPO:TAG)")
        }
        guard let policy = try map.string("trust_policy") else { throw ConfigurationError("revocation.trust_policy is required") }
        self.init(list: list, trustPolicyFile: policy)
        if let seconds = try map.seconds("interval_seconds") {
            guard seconds > .zero else { throw ConfigurationError("revocation.interval_seconds must be above 0") }
            interval = seconds
        }
        failClosedWhenStale = try map.bool("fail_closed_when_stale") ?? failClosedWhenStale
        registryCredentialsFile = try map.string("registry_credentials")
        try map.finish()
    }
}

/// Polls the registry's signed revocation list. A served version whose digest is on it stops
/// serving at once (for good: a later list cannot un-revoke it in this process); a list that is
/// unreadable or fails verification leaves the last good one in force, and once that one has
/// expired the server fails closed (configurable). Every outcome is an audit event and a metric;
/// the registry calls go through a circuit breaker.
package final class RevocationWatch: Sendable {
    package let settings: RevocationWatchSettings
    private let reference: ArtifactReference
    private let keys: [TrustedKey]
    private let minimumSerial: Int64
    private let served: [(model: ServedModel, digest: SHA256Digest)]
    private let breaker: CircuitBreaker
    private let metrics: any RevocationObserver
    private let logger: Logger
    /// The outbound TLS configuration (`outbound_tls:`), for a registry reached over TLS.
    private let tls: OutboundTLSSettings?
    /// The last list that verified: its serial (rollbacks are refused) and expiry.
    private let current = Mutex<(serial: Int64, expiresAt: Date)?>(nil)

    /// `policy` is the trust policy at `settings.trustPolicyFile`, already loaded.
    package init(
        settings: RevocationWatchSettings, policy: TrustPolicy, served: [ServedModel], tls: OutboundTLSSettings? = nil,
        metrics: any RevocationObserver, logger: Logger
    ) throws {
        self.settings = settings
        self.tls = tls
        guard let rule = policy.revocation else {
            throw ConfigurationError("\(settings.trustPolicyFile) has no revocation rule (signers of the list)")
        }
        keys = policy.keys(named: rule.signers)
        minimumSerial = rule.minimumSerial
        do {
            reference = try ArtifactReference(parsing: settings.list)
        } catch {
            throw ConfigurationError("revocation.list: \(error)")
        }
        self.served = try served.map { model in
            guard let digest = model.digest else {
                throw ConfigurationError("model '\(model.name)' is served unpinned, so it cannot be looked up in the revocation list")
            }
            return (model, digest)
        }
        self.metrics = metrics
        self.logger = logger
        breaker = CircuitBreaker(name: "revocation", settings: settings.breaker) { metrics.breakerState($0) }
        metrics.revoked(self.served.map(\.model), revoked: [])
    }

    /// One poll: fetch, verify, apply.
    package func check(now: Date = Date()) async {
        do {
            let (reference, settings, tls) = (reference, settings, tls)
            let envelope = try await breaker.run { () async throws -> [UInt8] in
                // A registry or layout that stalls counts as a failed poll, not a stuck watch.
                try await withDeadline(
                    Self.pollDeadline(settings.interval),
                    timeout: {
                        TrustFailure(.revocationListInvalid, "reading \(settings.list) did not finish in time")
                    }
                ) {
                    let store = try StoreOpener.store(
                        for: reference, credentialsFile: settings.registryCredentialsFile, tls: tls)
                    guard let bytes = try await RevocationListStore(store: store).fetch(tag: reference.reference) else {
                        throw TrustFailure(.revocationListInvalid, "no revocation list at \(settings.list)")
                    }
                    return bytes
                }
            }
            let floor = max(minimumSerial, current.withLock { $0?.serial } ?? 0)
            let (list, _) = try RevocationList.verified(envelope: envelope, keys: keys, minimumSerial: floor, at: now)
            current.withLock { $0 = (list.serial, list.expiresAt) }
            metrics.checked(result: "verified", serial: list.serial, expiresIn: list.expiresAt.timeIntervalSince(now))
            for (model, digest) in served {
                model.setRevocationListStale(false)
                guard let entry = list.entry(for: digest) else { continue }
                if model.revoke(reason: entry.reason) {
                    AuditEvent.modelRevoked(
                        model: model.name, version: model.version, digest: digest.description, serial: list.serial, reason: entry.reason
                    ).log(to: logger)
                }
            }
        } catch {
            metrics.checked(result: error is CircuitBreaker.OpenError ? "circuit_open" : "failed", serial: nil, expiresIn: nil)
            AuditEvent.revocationCheckFailed(reason: "\(error)").log(to: logger)
            failClosedIfStale(now: now)
        }
        metrics.revoked(served.map(\.model), revoked: served.map(\.model).filter(\.isWithdrawn))
    }

    /// How long one poll may take: its interval, at most 30 s.
    package static func pollDeadline(_ interval: Duration) -> Duration { min(interval, .seconds(30)) }

    /// Without a list that is still current, nothing proves a served digest is not revoked.
    private func failClosedIfStale(now: Date) {
        let expiry = current.withLock { $0?.expiresAt }
        if let expiry { metrics.expiresIn(expiry.timeIntervalSince(now)) }
        guard settings.failClosedWhenStale, expiry.map({ $0 <= now }) ?? true else { return }
        if !served.allSatisfy({ $0.model.isWithdrawn }) {
            AuditEvent.revocationListStale(expiredAt: expiry ?? .distantPast).log(to: logger)
        }
        for (model, _) in served { model.setRevocationListStale(true) }
    }
}

/// Runs the watch every interval after the first check (which warm-up runs).
package struct RevocationWatchService: Service {
    package let watch: RevocationWatch

    package func run() async throws {
        // The first check ran before warm-up (WarmUpService), so that one waits an interval.
        try await PeriodicService(every: watch.settings.interval) { await watch.check() }.run()
    }

    package init(watch: RevocationWatch) {
        self.watch = watch
    }
}
