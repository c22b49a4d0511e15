import Foundation
import WardenRegistry
import WardenTrust

#if canImport(Glibc)
    import Glibc
#endif

/// The init-container → main-container handoff, checked before a model is loaded: the
/// directory is re-hashed against the manifest `warden fetch` installed and the pinned digest
/// (no time-of-check/time-of-use gap between fetch and serve), and in hardened mode the
/// directory must be pinned and not writable.
enum ArtifactGuard {
    static func check(_ source: ServeConfiguration.ModelSource, hardened: Bool) throws {
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
        guard pin != nil else { return }
        do {
            try InstalledArtifact.verify(directory: source.directory, pinnedDigest: pin)
        } catch {
            throw ModelLoadFailure("\(source.directory): artifact check failed: \(error)")
        }
    }

    /// Write permission anywhere in the model tree is refused: the serving process must not be
    /// able to change what it serves (mode bits, and for non-root also access(2), which sees
    /// read-only mounts).
    static func refuseWritable(_ directory: String) throws {
        var paths = [directory]
        paths += ((FileManager.default.enumerator(atPath: directory)?.allObjects as? [String]) ?? []).map { directory + "/" + $0 }
        for path in paths {
            var status = stat()
            guard lstat(path, &status) == 0 else { throw ModelLoadFailure("\(path): cannot stat") }
            if status.st_mode & 0o222 != 0 || (geteuid() != 0 && access(path, W_OK) == 0) {
                throw ModelLoadFailure("\(path) is writable; hardened mode serves only read-only model directories")
            }
        }
    }
}
