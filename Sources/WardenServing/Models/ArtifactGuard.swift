import Foundation
import WardenPolicy
import WardenRegistry
import WardenTrust

#if canImport(Glibc)
    import Glibc
#endif

/// The init-container → main-container handoff, checked before a model is loaded: the
/// directory is re-hashed against the manifest `warden fetch` installed and the pinned digest
/// (no time-of-check/time-of-use gap between fetch and serve), and in hardened mode the
/// directory must be pinned and not writable.
package enum ArtifactGuard {
    /// What was proven about a model directory: its artifact digest and the signer recorded
    /// in its receipt (empty when the model is served unpinned, in development).
    package struct Provenance: Equatable {
        package var digest: SHA256Digest?
        package var signer = ""
        /// The attestations the receipt records as verified, by name (`approval`, `sbom`, ...).
        package var attestations: [String] = []
    }

    @discardableResult
    package static func check(_ source: ModelSource, hardened: Bool, startupGate: RegoStartupGate? = nil) throws -> Provenance {
        var pin: SHA256Digest?
        if let text = source.expectedDigest {
            guard let digest = SHA256Digest(parsing: text) else {
                throw ModelLoadFailure("\(source.directory): expected digest \(text) is not sha256:<64 hex>")
            }
            pin = digest
        } else if hardened {
            throw ModelLoadFailure("\(source.directory): hardened mode serves only pinned models; set expected_digest")
        }
        if hardened { try refuseWritable(source.directory) }
        guard let pin else {
            if startupGate != nil { throw ModelLoadFailure("\(source.directory): the startup gate needs a pinned model (expected_digest)") }
            return Provenance()
        }
        let digest: SHA256Digest
        do {
            digest = try InstalledArtifact.verify(directory: source.directory, pinnedDigest: pin)
        } catch {
            throw ModelLoadFailure("\(source.directory): artifact check failed: \(error)")
        }
        if let startupGate { try admit(source, digest: digest, pin: pin, gate: startupGate) }
        var provenance = Provenance(digest: digest)
        let recorded = InstalledArtifact.receipt(in: source.directory)?["input"]?["model"]
        if case let .string(signer)? = recorded?["signatures"]?["signer"] { provenance.signer = signer }
        if case let .object(attestations)? = recorded?["attestations"] { provenance.attestations = attestations.map(\.key) }
        return provenance
    }

    /// Re-runs the startup gate at serve time over the verification report fetch recorded,
    /// with the digest just re-derived and this server's pin: a policy tightened (or a model
    /// revoked in policy) since fetch takes effect at the next start.
    package static func admit(_ source: ModelSource, digest: SHA256Digest, pin: SHA256Digest, gate: RegoStartupGate) throws {
        guard let receipt = InstalledArtifact.receipt(in: source.directory), let recorded = receipt["input"],
            case var .object(members) = Value(json: recorded)
        else {
            throw ModelLoadFailure("\(source.directory): no verification receipt for the startup gate")
        }
        members.removeAll { $0.key == .string("expected_digest") }
        members.append((.string("expected_digest"), .string(pin.description)))
        var input = Value.makeObject(members)
        if case var .object(model)? = input[.string("model")] {
            model.removeAll { $0.key == .string("digest") }
            model.append((.string("digest"), .string(digest.description)))
            input = Value.makeObject(members.filter { $0.key != .string("model") } + [(.string("model"), Value.makeObject(model))])
        }
        let decision = gate.decision(for: input)
        guard decision.permit else {
            throw ModelLoadFailure("\(source.directory): the startup gate denied (\(decision.reasons.joined(separator: "; ")))")
        }
    }

    /// Write permission anywhere in the model tree is refused: the serving process must not be
    /// able to change what it serves (mode bits, and for non-root also access(2), which sees
    /// read-only mounts).
    package static func refuseWritable(_ directory: String) throws {
        for path in treePaths(directory) {
            var status = stat()
            guard lstat(path, &status) == 0 else { throw ModelLoadFailure("\(path): cannot stat") }
            if status.st_mode & 0o222 != 0 || (geteuid() != 0 && access(path, W_OK) == 0) {
                throw ModelLoadFailure("\(path) is writable; hardened mode serves only read-only model directories")
            }
        }
    }

    /// The directory and every path below it.
    package static func treePaths(_ directory: String) -> [String] {
        let below = (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String]) ?? []
        return [directory] + below.map { directory + "/" + $0 }
    }
}
