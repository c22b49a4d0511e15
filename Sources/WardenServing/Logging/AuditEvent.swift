import Foundation
import Logging
import Synchronization

/// The security-relevant things that happen to a running server. Each is one log line with an
/// `event` name, `audit: true`, a sequence number (`seq`, rising by one per process, so a gap
/// shows a lost line) and the `actor` that caused it (a SPIFFE ID, or `system:…`), built from
/// this type alone: like request lines, audit lines have no free-form field a payload or a
/// secret could reach. No log level silences them: the trail does not depend on verbosity.
public enum AuditEvent: Sendable, Equatable {
    /// A model passed verification at startup (re-hash against its pin and receipt, gate) and loaded.
    case modelVerified(model: String, version: String, digest: String, signer: String, attestations: [String])
    /// The request policy refused a request; `reasons` are the policy author's strings.
    /// `policy`: the signed bundle that decided, when the policy came from one.
    case policyDenied(requestID: String, route: String, model: String?, client: String?, reasons: [String], policy: PolicyProvenance?)
    /// The kill-switch policy changed on disk and is now in force.
    case policyReloaded(files: [String], reloads: Int)
    /// A changed policy did not load; the last good one stays in force.
    case policyReloadFailed(files: [String], failures: Int, reason: String)
    /// A signed policy bundle verified, compiled and is now in force.
    case policyBundleActivated(reference: String, revision: Int64, digest: String, signer: String, previousRevision: Int64?)
    /// A policy bundle was refused (signature, files, rollback, compilation); the last good one stays.
    case policyBundleRejected(reference: String, digest: String, reason: String)
    /// The registry could not be asked for the bundle; the last good one stays.
    case policyBundleCheckFailed(reference: String, reason: String)
    /// The bundle in force is older than its max age: its decisions fail closed.
    case policyBundleStale(revision: Int64, issuedAt: Date, maxAgeSeconds: Double)
    /// New TLS material is in force for new handshakes.
    case certificateRotated(serverNotAfter: Date, bundleNotAfter: Date)
    /// Rotated TLS files did not load; the last good material stays in force.
    case certificateRotationFailed(reason: String)
    /// A secret file changed and its new content is in use (the content is never logged).
    case secretRotated(name: String)
    case secretRotationFailed(name: String, reason: String)
    /// A served version's digest is on the signed revocation list: it stops serving.
    case modelRevoked(model: String, version: String, digest: String, serial: Int64, reason: String)
    /// The revocation list could not be read or verified; the last good one stays in force.
    case revocationCheckFailed(reason: String)
    /// No valid revocation list is current: the server stops serving until one is (fail closed).
    case revocationListStale(expiredAt: Date)
    /// A release changed: a canary promoted a step, completed, rolled back, or a new plan set.
    /// `actor` is who changed it (`system:canary-analysis`, or the admin's SPIFFE ID), `reason`
    /// the analysis' finding or the one the admin gave; the canary's share before and after.
    case release(
        model: String, decision: ReleaseDecision, stable: String, canary: String?, weightBefore: Double, weight: Double, actor: String,
        reason: String)
    /// SIGHUP found the configuration's release plans invalid; the plans in force stay.
    case releaseReloadFailed(reason: String)
    /// A client's certificate failed the handshake; `refusals` counts those this line stands for.
    case clientCertificateRefused(reason: String, refusals: Int)
    /// `/v2/logging` changed the process's log level.
    case logLevelChanged(from: String, to: String, actor: String)
    /// The request policy now switches a version off for every client (the kill switch).
    case versionKilled(model: String, version: String, reasons: [String])
    /// The request policy no longer switches the version off.
    case versionRestored(model: String, version: String)

    package var name: String {
        switch self {
        case .modelVerified: "model_verified"
        case .policyDenied: "policy_denied"
        case .policyReloaded: "policy_reloaded"
        case .policyReloadFailed: "policy_reload_failed"
        case .policyBundleActivated: "policy_bundle_activated"
        case .policyBundleRejected: "policy_bundle_rejected"
        case .policyBundleCheckFailed: "policy_bundle_check_failed"
        case .policyBundleStale: "policy_bundle_stale"
        case .certificateRotated: "certificate_rotated"
        case .certificateRotationFailed: "certificate_rotation_failed"
        case .secretRotated: "secret_rotated"
        case .secretRotationFailed: "secret_rotation_failed"
        case .modelRevoked: "model_revoked"
        case .revocationCheckFailed: "revocation_check_failed"
        case .revocationListStale: "revocation_list_stale"
        case let .release(_, decision, _, _, _, _, _, _): "release_\(decision.rawValue)"
        case .releaseReloadFailed: "release_reload_failed"
        case .clientCertificateRefused: "client_certificate_refused"
        case .logLevelChanged: "log_level_changed"
        case .versionKilled: "version_killed"
        case .versionRestored: "version_restored"
        }
    }

    /// Who caused the event: a client's SPIFFE ID, or the part of Warden that acted.
    package var actor: String {
        switch self {
        case .modelVerified: "system:startup"
        case let .policyDenied(_, _, _, client, _, _): client ?? "anonymous"
        case .policyReloaded, .policyReloadFailed, .versionKilled, .versionRestored, .policyBundleActivated, .policyBundleRejected,
            .policyBundleCheckFailed, .policyBundleStale:
            "system:policy-watch"
        case .certificateRotated, .certificateRotationFailed: "system:tls-watch"
        case .secretRotated, .secretRotationFailed: "system:secret-watch"
        case .modelRevoked, .revocationCheckFailed, .revocationListStale: "system:revocation-watch"
        case let .release(_, _, _, _, _, _, actor, _): actor
        case .releaseReloadFailed: ReleaseManager.hangup
        case .clientCertificateRefused: "unauthenticated"
        case let .logLevelChanged(_, _, actor): actor
        }
    }

    private static let sequence = Atomic<Int64>(0)

    package var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = ["event": .string(name), "audit": "true", "actor": .string(actor)]
        switch self {
        case let .modelVerified(model, version, digest, signer, attestations):
            metadata["model"] = .string(model)
            metadata["version"] = .string(version)
            metadata["digest"] = .string(digest.isEmpty ? "unpinned" : digest)
            metadata["signer"] = .string(signer.isEmpty ? "none" : signer)
            metadata["attestations"] = .array(attestations.map { .string($0) })
        case let .policyDenied(requestID, route, model, _, reasons, policy):
            metadata["request_id"] = .string(requestID)
            metadata["route"] = .string(route)
            if let model { metadata["model"] = .string(model) }
            metadata["reasons"] = .array(reasons.map { .string($0) })
            if let policy {
                metadata["policy_revision"] = .stringConvertible(policy.revision)
                metadata["policy_digest"] = .string(policy.digest)
            }
        case let .policyReloaded(files, reloads):
            metadata["files"] = .array(files.map { .string($0) })
            metadata["reloads"] = .stringConvertible(reloads)
        case let .policyReloadFailed(files, failures, reason):
            metadata["files"] = .array(files.map { .string($0) })
            metadata["failures"] = .stringConvertible(failures)
            metadata["reason"] = .string(reason)
        case let .policyBundleActivated(reference, revision, digest, signer, previous):
            metadata["reference"] = .string(reference)
            metadata["policy_revision"] = .stringConvertible(revision)
            metadata["policy_digest"] = .string(digest)
            metadata["signer"] = .string(signer)
            if let previous { metadata["previous_revision"] = .stringConvertible(previous) }
        case let .policyBundleRejected(reference, digest, reason):
            metadata["reference"] = .string(reference)
            metadata["policy_digest"] = .string(digest)
            metadata["reason"] = .string(reason)
        case let .policyBundleCheckFailed(reference, reason):
            metadata["reference"] = .string(reference)
            metadata["reason"] = .string(reason)
        case let .policyBundleStale(revision, issuedAt, maxAge):
            metadata["policy_revision"] = .stringConvertible(revision)
            metadata["issued_at"] = .string(issuedAt.ISO8601Format())
            metadata["max_age_seconds"] = .stringConvertible(maxAge)
        case let .certificateRotated(server, bundle):
            metadata["server_not_after"] = .string(server.ISO8601Format())
            metadata["bundle_not_after"] = .string(bundle.ISO8601Format())
        case let .certificateRotationFailed(reason):
            metadata["reason"] = .string(reason)
        case let .secretRotated(name):
            metadata["secret"] = .string(name)
        case let .secretRotationFailed(name, reason):
            metadata["secret"] = .string(name)
            metadata["reason"] = .string(reason)
        case let .modelRevoked(model, version, digest, serial, reason):
            metadata["model"] = .string(model)
            metadata["version"] = .string(version)
            metadata["digest"] = .string(digest)
            metadata["revocation_serial"] = .stringConvertible(serial)
            metadata["reason"] = .string(reason)
        case let .revocationCheckFailed(reason):
            metadata["reason"] = .string(reason)
        case let .revocationListStale(expiredAt):
            metadata["expired_at"] = .string(expiredAt.ISO8601Format())
        case let .release(model, _, stable, canary, weightBefore, weight, _, reason):
            metadata["model"] = .string(model)
            metadata["stable"] = .string(stable)
            if let canary { metadata["canary"] = .string(canary) }
            metadata["canary_weight_before"] = .stringConvertible(weightBefore)
            metadata["canary_weight"] = .stringConvertible(weight)
            metadata["reason"] = .string(reason)
        case let .releaseReloadFailed(reason):
            metadata["reason"] = .string(reason)
        case let .clientCertificateRefused(reason, refusals):
            metadata["reason"] = .string(reason)
            metadata["refusals"] = .stringConvertible(refusals)
        case let .logLevelChanged(from, to, _):
            metadata["from"] = .string(from)
            metadata["to"] = .string(to)
        case let .versionKilled(model, version, reasons):
            metadata["model"] = .string(model)
            metadata["version"] = .string(version)
            metadata["reasons"] = .array(reasons.map { .string($0) })
        case let .versionRestored(model, version):
            metadata["model"] = .string(model)
            metadata["version"] = .string(version)
        }
        return metadata
    }

    public func log(to logger: Logger) {
        // The handler's level is this copy's: the audit line passes whatever level is set.
        var logger = logger
        logger.logLevel = .trace
        var metadata = self.metadata
        metadata["seq"] = .stringConvertible(Self.sequence.wrappingAdd(1, ordering: .relaxed).newValue)
        switch self {
        case .modelVerified, .policyReloaded, .certificateRotated, .secretRotated, .policyBundleActivated:
            logger.info("audit", metadata: metadata)
        case .policyDenied, .clientCertificateRefused, .logLevelChanged, .versionRestored: logger.notice("audit", metadata: metadata)
        case let .release(_, decision, _, _, _, _, _, _):
            if decision == .rolledBack { logger.error("audit", metadata: metadata) } else { logger.notice("audit", metadata: metadata) }
        case .policyReloadFailed, .certificateRotationFailed, .secretRotationFailed, .modelRevoked, .revocationCheckFailed,
            .revocationListStale, .releaseReloadFailed, .versionKilled, .policyBundleRejected, .policyBundleCheckFailed, .policyBundleStale:
            logger.error("audit", metadata: metadata)
        }
    }
}
