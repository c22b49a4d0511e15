import ArgumentParser
import WardenTrust

/// `warden digest`: SHA-256 of files, hashed in parallel, with the same hasher fetch and verify
/// use (so benchmarks/hashing.py measures what verification costs).
struct DigestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "digest", abstract: "Print the SHA-256 of files (in parallel).")

    @Argument(help: "Files to hash.")
    var files: [String]

    func run() throws {
        let digests = try FileHasher.digests(of: files.map { FileHasher.Job(path: $0) })
        for (file, digest) in zip(files, digests) {
            print("\(digest)  \(file)")
        }
    }
}
