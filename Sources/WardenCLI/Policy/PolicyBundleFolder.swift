import Foundation
import WardenJSON
import WardenRegistry
import WardenServing
import WardenTrust

/// A policy bundle as a folder on disk (what `push` reads and `pull` writes), and the
/// commands' shared pulling and printing.
enum PolicyBundleFolder {
    static let manifestName = ".manifest"

    /// The folder's `.manifest`, or a manifest with no revision yet (-1) when it has none.
    static func manifest(in directory: String) throws -> PolicyBundleManifest {
        let path = directory + "/" + manifestName
        guard FileManager.default.fileExists(atPath: path) else { return PolicyBundleManifest(revision: -1) }
        return try PolicyBundleManifest(authored: try TrustOutcome.read(path))
    }

    /// Every module and data document under `directory`, by relative path; hidden entries
    /// (`.manifest`, `.git`) and other files are not part of the bundle.
    static func files(in directory: String) throws -> [PolicyBundleFile] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TrustFailure(.unreadableFile, "\(directory) is not a folder")
        }
        let entries = (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).sorted()
        var files: [PolicyBundleFile] = []
        for entry in entries where !entry.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
            guard PolicyBundleFile.extensions.contains(where: entry.hasSuffix) else { continue }
            files.append(try PolicyBundleFile(path: entry, bytes: try TrustOutcome.read(directory + "/" + entry)))
        }
        guard files.count <= PolicyBundleFile.maximumFiles, files.reduce(0, { $0 + $1.bytes.count }) <= PolicyBundleFile.maximumTotalBytes
        else {
            throw TrustFailure(.sizeLimitExceeded, "\(directory) is larger than a policy bundle may be")
        }
        return files
    }

    static func pull(_ text: String, trust path: String, registry: RegistryOptions) async throws(TrustFailure) -> VerifiedPolicyBundle {
        let trust = try await TrustPolicy(contentsOfFile: path, keys: CLIKeys.store)
        let (reference, store) = try registry.open(text, option: "")
        return try await PolicyBundlePull.verified(reference, store: store, trust: trust)
    }

    /// Writes the files and `.manifest` into a new folder, or nothing at all.
    static func write(_ bundle: VerifiedPolicyBundle, to directory: String) throws(TrustFailure) {
        guard !FileManager.default.fileExists(atPath: directory) else { throw TrustFailure(.unsafePath, "\(directory) already exists") }
        let staging = directory + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            for file in bundle.artifact.files {
                let path = staging + "/" + file.path
                try FileManager.default.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(file.bytes).write(to: URL(fileURLWithPath: path))
            }
            try Data(bundle.manifest.authored.serialized().utf8).write(to: URL(fileURLWithPath: staging + "/" + manifestName))
            try FileManager.default.moveItem(atPath: staging, toPath: directory)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw TrustFailure(.unreadableFile, "cannot write \(directory): \(error)")
        }
    }

    static func line(_ bundle: VerifiedPolicyBundle) -> String {
        "verified policy bundle revision \(bundle.manifest.revision) \(bundle.artifact.digest), signed by \(bundle.signer) at "
            + "\(bundle.manifest.issuedAt.ISO8601Format()) (\(bundle.artifact.files.count) files)"
    }

    static func summary(_ bundle: VerifiedPolicyBundle) -> JSONValue {
        .object([
            ("verified", .bool(true)), ("revision", .integer(bundle.manifest.revision)),
            ("digest", .string(bundle.artifact.digest.description)),
            ("signer", .string(bundle.signer)), ("issued_at", .string(bundle.manifest.issuedAt.ISO8601Format())),
            ("roots", .array(bundle.manifest.roots.map(JSONValue.string))),
            ("files", .array(bundle.artifact.files.map { .string($0.path) })),
        ])
    }
}
