import Foundation
import WardenJSON
import WardenTrust

#if canImport(Glibc)
    import Glibc
#endif

/// `warden fetch`: pull, verify, and install an artifact atomically. The files land in a
/// staging folder beside the destination, are verified there, made read-only, and renamed
/// into place in one step; on any failure the staging folder is removed and the destination
/// never exists.
public struct ArtifactFetcher: Sendable {
    public let verifier: ArtifactVerifier
    public let limits: ModelArtifactPuller.Limits
    public let credentialsFile: String?
    /// Roots, client certificate and minimum version for a registry reached over TLS.
    public var tls: OutboundTLSSettings?
    /// What the server that will read the artifact checks (the model loads, its contract
    /// describes it), run on the verified files before they are installed: an artifact
    /// `serve` would refuse is not installed either. Returns the problems found.
    public var servabilityCheck: (@Sendable (_ directory: String) -> [String])?

    public init(verifier: ArtifactVerifier, limits: ModelArtifactPuller.Limits = .init(), credentialsFile: String? = nil) {
        self.verifier = verifier
        self.limits = limits
        self.credentialsFile = credentialsFile
    }

    /// The whole fetch, registry round trips and hashing included, must end within this: a
    /// registry (or layout) that stalls cannot hold an init container for ever.
    public var deadline: Duration = .seconds(600)

    public func fetch(
        _ reference: ArtifactReference, to destination: String, expectedDigest: SHA256Digest?, at time: Date = Date()
    ) async throws(TrustFailure) -> VerificationReport {
        let destination = URL(fileURLWithPath: destination).standardizedFileURL.path
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw TrustFailure(.unsafePath, "\(destination) already exists; fetch installs into a new folder")
        }
        let deadline = self.deadline
        do {
            return try await withThrowingTaskGroup(of: VerificationReport.self) { group in
                group.addTask { try await fetchWithinDeadline(reference, to: destination, expectedDigest: expectedDigest, at: time) }
                group.addTask {
                    try await Task.sleep(for: deadline)
                    throw TrustFailure(.registryError, "fetch did not finish within \(deadline); nothing was installed")
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
        } catch let failure as TrustFailure {
            throw failure
        } catch {
            throw TrustFailure(.registryError, "fetch was interrupted: \(error)")
        }
    }

    private func fetchWithinDeadline(
        _ reference: ArtifactReference, to destination: String, expectedDigest: SHA256Digest?, at time: Date
    ) async throws(TrustFailure) -> VerificationReport {
        let store: any ArtifactStore
        do { store = try StoreOpener.store(for: reference, credentialsFile: credentialsFile, tls: tls) } catch { throw error.trustFailure }
        let puller = ModelArtifactPuller(store: store, limits: limits)
        let pin = expectedDigest ?? reference.digest
        let digest = try await puller.resolve(reference.reference, expectedDigest: pin)
        if let tag = reference.tag {
            // NAME:TAG@sha256:… pulls the digest; a tag that has moved since is a mistake to stop on.
            let tagged = try await puller.resolve(tag, expectedDigest: nil)
            guard tagged == digest else {
                throw TrustFailure(.digestMismatch, "tag \(tag) points to \(tagged), not to the reference's digest \(digest)")
            }
        }
        // Nothing is written until the manifest passes its limits; from then on, every way out
        // but the final rename removes the staging folder.
        let inspected = try await puller.inspect(digest)
        let parent = (destination as NSString).deletingLastPathComponent
        let staging = parent + "/." + (destination as NSString).lastPathComponent + ".partial-" + UUID().uuidString
        guard mkdir(staging, 0o700) == 0 else {
            throw TrustFailure(.unreadableFile, "cannot create \(staging): \(String(cString: strerror(errno)))")
        }
        do throws(TrustFailure) {
            let report = try await install(
                inspected, from: store, puller: puller, reference: reference, staging: staging, pin: pin, at: time)
            if let problems = servabilityCheck?(staging), !problems.isEmpty {
                throw TrustFailure(.unservableModel, "serve would refuse this model: " + problems.joined(separator: "; "))
            }
            if Task.isCancelled { throw TrustFailure(.registryError, "fetch was cancelled; nothing was installed") }
            try ReadOnlyTree.seal(staging)
            guard rename(staging, destination) == 0 else {
                throw TrustFailure(.unreadableFile, "cannot move the artifact into \(destination): \(String(cString: strerror(errno)))")
            }
            return report
        } catch {
            ReadOnlyTree.remove(staging)
            throw error
        }
    }

    private func install(
        _ inspected: ModelArtifactPuller.Inspected, from store: any ArtifactStore, puller: ModelArtifactPuller,
        reference: ArtifactReference, staging: String, pin: SHA256Digest?, at time: Date
    ) async throws(TrustFailure) -> VerificationReport {
        let digest = inspected.digest
        let pulled = try await puller.pull(inspected, into: staging)
        var revocationEnvelope: [UInt8]?
        if let rule = verifier.policy.revocation {
            do {
                revocationEnvelope = try await RevocationListStore(store: store).fetch(tag: rule.reference)
            } catch {
                throw TrustFailure(.revocationListInvalid, "cannot read the revocation list \(rule.reference): \(error)")
            }
        }
        let files = pulled.manifest.layers.map {
            VerificationReport.File(name: $0.annotation(MediaType.titleAnnotation) ?? "", digest: $0.digest, size: $0.size)
        }
        var evidence = ArtifactEvidence(
            reference: reference.description, modelDirectory: staging, manifestDigest: digest, files: files,
            signatureBundles: pulled.signatureBundles, attestationEnvelopes: pulled.attestationEnvelopes,
            revocationEnvelope: revocationEnvelope)
        evidence.cosignSignatures = pulled.cosignSignatures.map { ($0.payload, $0.signature) }
        let report = try await verifier.verify(evidence, expectedDigest: pin, at: time)
        let metadata = staging + "/" + InstalledArtifact.metadataFolder
        do {
            try FileManager.default.createDirectory(atPath: metadata, withIntermediateDirectories: false)
            try Data(pulled.manifestBytes).write(to: URL(fileURLWithPath: metadata + "/" + InstalledArtifact.manifestFile))
            try Data(report.receipt.serialized().utf8).write(to: URL(fileURLWithPath: metadata + "/" + InstalledArtifact.receiptFile))
        } catch {
            throw TrustFailure(.unreadableFile, "cannot write the receipt: \(error.localizedDescription)")
        }
        return report
    }
}

/// Read-only sealing of an installed tree (files 0444, folders 0555), and its removal.
enum ReadOnlyTree {
    static func seal(_ root: String) throws(TrustFailure) {
        let entries = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? []
        // Deepest first, so a folder is sealed after everything in it.
        for entry in entries.sorted(by: { $0.count > $1.count }) {
            let path = root + "/" + entry
            var status = stat()
            guard lstat(path, &status) == 0 else { throw TrustFailure(.unreadableFile, "cannot stat \(path)") }
            let mode: mode_t = (status.st_mode & S_IFMT) == S_IFDIR ? 0o555 : 0o444
            guard chmod(path, mode) == 0 else { throw TrustFailure(.unreadableFile, "cannot make \(path) read-only") }
        }
        guard chmod(root, 0o555) == 0 else { throw TrustFailure(.unreadableFile, "cannot make \(root) read-only") }
    }

    /// Removes a (possibly sealed) tree: folders are made writable again first.
    static func remove(_ root: String) {
        chmod(root, 0o700)
        for entry in (FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? [] {
            var status = stat()
            let path = root + "/" + entry
            if lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR { chmod(path, 0o700) }
        }
        try? FileManager.default.removeItem(atPath: root)
    }
}

extension ArtifactFetcher {
    /// Removes an installed (read-only) artifact folder.
    public static func removeInstalled(_ path: String) { ReadOnlyTree.remove(path) }
}
