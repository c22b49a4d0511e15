import Crypto
import Foundation
import NIOCore
import NIOFoundationCompat
import WardenTrust

/// Writes a download to disk while hashing it: more bytes than the descriptor (or the limit)
/// says stop the download at once, and a final size or digest mismatch removes the file.
struct VerifyingFileSink {
    let path: String
    let expected: Descriptor
    let limit: Int64
    private let handle: FileHandle
    private var hasher = SHA256()
    private var written: Int64 = 0

    init(path: String, expected: Descriptor, limit: Int64) throws(RegistryError) {
        guard expected.size <= limit else { throw RegistryError.tooLarge(what: "blob \(expected.digest)", limit: limit) }
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw RegistryError.transport("cannot create \(path)")
        }
        self.path = path
        self.expected = expected
        self.limit = limit
        self.handle = handle
    }

    mutating func write(_ chunk: some DataProtocol) throws(RegistryError) {
        written += Int64(chunk.count)
        guard written <= expected.size else {
            abandon()
            throw RegistryError.sizeMismatch(expected: expected.size, actual: written)
        }
        hasher.update(data: chunk)
        do { try handle.write(contentsOf: chunk) } catch {
            abandon()
            throw RegistryError.transport("cannot write \(path): \(error.localizedDescription)")
        }
    }

    func finish() throws(RegistryError) {
        try? handle.close()
        guard written == expected.size else {
            try? FileManager.default.removeItem(atPath: path)
            throw RegistryError.sizeMismatch(expected: expected.size, actual: written)
        }
        let actual = SHA256Digest(bytes: Array(hasher.finalize()))
        guard actual == expected.digest else {
            try? FileManager.default.removeItem(atPath: path)
            throw RegistryError.digestMismatch(expected: expected.digest, actual: actual)
        }
    }

    func abandon() {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}

extension VerifyingFileSink {
    /// Streams `chunks` into `path` through a sink: the one download loop of every store.
    /// `source` names where the bytes come from, for transport errors.
    static func receive<Chunks: AsyncSequence>(
        _ chunks: Chunks, into path: String, expected: Descriptor, limit: Int64, source: String
    ) async throws(RegistryError) where Chunks.Element == ByteBuffer {
        var sink = try VerifyingFileSink(path: path, expected: expected, limit: limit)
        do {
            for try await buffer in chunks {
                try sink.write(buffer.readableBytesView)
            }
        } catch let error as RegistryError {
            sink.abandon()
            throw error
        } catch {
            sink.abandon()
            throw RegistryError.transport("reading \(source): \(error)")
        }
        try sink.finish()
    }
}

/// Checks bytes already in memory against their descriptor (a size of -1 means unknown).
enum BlobCheck {
    static func verify(_ bytes: [UInt8], against descriptor: Descriptor) throws(RegistryError) {
        if descriptor.size >= 0, Int64(bytes.count) != descriptor.size {
            throw RegistryError.sizeMismatch(expected: descriptor.size, actual: Int64(bytes.count))
        }
        let actual = SHA256Digest.of(bytes)
        guard actual == descriptor.digest else { throw RegistryError.digestMismatch(expected: descriptor.digest, actual: actual) }
    }
}

/// A file as a stream of 1 MiB buffers (uploads, and layout reads through `receive`).
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    /// An already-open file (a layout blob, opened as a regular file), or a path to open.
    private let source: Source

    private enum Source: @unchecked Sendable {
        case path(String)
        case handle(FileHandle)
    }

    init(path: String) { source = .path(path) }
    init(handle: FileHandle) { source = .handle(handle) }

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle?
        mutating func next() async throws -> ByteBuffer? {
            guard let handle, let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else {
                try? handle?.close()
                return nil
            }
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        switch source {
        case let .path(path): AsyncIterator(handle: FileHandle(forReadingAtPath: path))
        case let .handle(handle): AsyncIterator(handle: handle)
        }
    }
}
