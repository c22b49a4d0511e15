import Crypto
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Streams files through SHA-256 without loading them: a fixed buffer per call, `O_NOFOLLOW` so
/// a symlink swapped in after the directory walk is refused, and only regular files accepted.
public enum FileHasher {
    /// Large enough that the per-read syscall cost vanishes next to hashing (SHA-NI runs at
    /// well over 1 GB/s here), small enough to stay in L2-ish territory.
    static let bufferSize = 1 << 20

    /// The digest of bytes `range` of the file (the whole file when nil), and the file's size.
    public static func digest(ofFileAt path: String, range: Range<Int64>? = nil) throws(TrustFailure) -> SHA256Digest {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            let reason = errno == ELOOP ? "is a symlink" : String(cString: strerror(errno))
            throw TrustFailure(errno == ELOOP ? .unsafePath : .unreadableFile, "\(path): \(reason)")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw TrustFailure(.unsafePath, "\(path): not a regular file")
        }
        let wanted = range ?? 0..<Int64(status.st_size)
        guard wanted.lowerBound >= 0, wanted.upperBound <= Int64(status.st_size) else {
            throw TrustFailure(.digestMismatch, "\(path): range \(wanted) is outside the file's \(status.st_size) bytes")
        }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64)
        defer { buffer.deallocate() }
        var offset = wanted.lowerBound
        while offset < wanted.upperBound {
            let count = Int(min(Int64(bufferSize), wanted.upperBound - offset))
            let read = pread(descriptor, buffer.baseAddress, count, off_t(offset))
            if read < 0, errno == EINTR { continue }
            guard read > 0 else {
                throw TrustFailure(.unreadableFile, "\(path): the file changed size while it was hashed")
            }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<read]))
            offset += Int64(read)
        }
        return SHA256Digest(bytes: Array(hasher.finalize()))
    }

    /// One unit of hashing work: a whole file or a byte range of it.
    public struct Job: Sendable, Hashable {
        public let path: String
        public let range: Range<Int64>?

        public init(path: String, range: Range<Int64>? = nil) {
            self.path = path
            self.range = range
        }
    }

    /// Hashes the jobs on every core; results come back in the jobs' order. The first failure
    /// (in job order) is thrown, so the reason does not depend on thread timing.
    public static func digests(of jobs: [Job]) throws(TrustFailure) -> [SHA256Digest] {
        let results = ResultSlots(count: jobs.count)
        DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
            let job = jobs[index]
            results.set(index, Result { () throws(TrustFailure) in try digest(ofFileAt: job.path, range: job.range) })
        }
        return try results.collect()
    }
}

/// Per-index result storage for `concurrentPerform`: each slot is written by exactly one
/// iteration, then read after all have finished.
private final class ResultSlots: Sendable {
    private let slots: Mutex<[Result<SHA256Digest, TrustFailure>?]>

    init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }

    func set(_ index: Int, _ result: Result<SHA256Digest, TrustFailure>) {
        slots.withLock { $0[index] = result }
    }

    func collect() throws(TrustFailure) -> [SHA256Digest] {
        let all = slots.withLock { $0 }
        return try all.map { slot throws(TrustFailure) in try slot!.get() }
    }
}
