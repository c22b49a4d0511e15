import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The files that make up a model on disk: a directory walked recursively, or a single file.
/// Symlinks, devices, sockets and FIFOs are refused, never followed: what is hashed is exactly
/// what will be loaded.
public struct ModelFiles: Sendable {
    public struct File: Sendable, Equatable {
        /// The relative path, or "." when the model is a single file.
        public let name: String
        public let path: String
        public let size: Int64
    }

    public let root: String
    public let isSingleFile: Bool
    /// Sorted by name.
    public let files: [File]

    /// The name model_signing gives a model that is one file instead of a folder.
    public static let singleFileName = "."

    /// Walks `root`, leaving out any path within `ignoring` (relative to the root).
    public init(root: String, ignoring ignored: [String] = [], maximumFiles: Int = 100_000) throws(TrustFailure) {
        self.root = root
        var status = stat()
        guard lstat(root, &status) == 0 else {
            throw TrustFailure(.unreadableFile, "\(root): \(String(cString: strerror(errno)))")
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG:
            isSingleFile = true
            files = [File(name: Self.singleFileName, path: root, size: Int64(status.st_size))]
        case S_IFDIR:
            isSingleFile = false
            var found: [File] = []
            try Self.walk(directory: root, prefix: "", ignored: Set(ignored), into: &found, limit: maximumFiles)
            files = found.sorted { $0.name < $1.name }
        case S_IFLNK:
            throw TrustFailure(.unsafePath, "\(root) is a symlink")
        default:
            throw TrustFailure(.unsafePath, "\(root) is neither a file nor a directory")
        }
    }

    private static func walk(
        directory: String, prefix: String, ignored: Set<String>, into found: inout [File], limit: Int
    ) throws(TrustFailure) {
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw TrustFailure(.unreadableFile, "\(directory): cannot list the directory")
        }
        for entry in entries.sorted() {
            let name = prefix.isEmpty ? entry : prefix + "/" + entry
            if ignored.contains(name) { continue }
            let path = directory + "/" + entry
            var status = stat()
            guard lstat(path, &status) == 0 else {
                throw TrustFailure(.unreadableFile, "\(path): \(String(cString: strerror(errno)))")
            }
            switch status.st_mode & S_IFMT {
            case S_IFDIR:
                try walk(directory: path, prefix: name, ignored: ignored, into: &found, limit: limit)
            case S_IFREG:
                guard found.count < limit else {
                    throw TrustFailure(.sizeLimitExceeded, "the model has more than \(limit) files")
                }
                found.append(File(name: try RelativePath(name).value, path: path, size: Int64(status.st_size)))
            case S_IFLNK:
                throw TrustFailure(.unsafePath, "\(name) is a symlink; model files must be regular files")
            default:
                throw TrustFailure(.unsafePath, "\(name) is not a regular file")
            }
        }
    }
}
