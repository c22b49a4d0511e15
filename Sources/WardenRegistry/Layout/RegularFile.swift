import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Opens a file a layout folder (anyone's folder) names, only when it is a regular file:
/// opened without following a symlink and without blocking, so a FIFO or device planted as a
/// blob cannot hang `fetch` or the revocation watch, and a link cannot point them elsewhere.
enum RegularFile {
    static func openForReading(_ path: String) throws(RegistryError) -> FileHandle {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw RegistryError.notFound(path) }
            if errno == ELOOP { throw RegistryError.transport("\(path) is a symbolic link; a layout's files must be regular files") }
            throw RegistryError.transport("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw RegistryError.transport("\(path) is not a regular file")
        }
        // A regular file never blocks; reads go back to the ordinary mode.
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    /// The whole file, refused past `limit` bytes without reading more.
    static func contents(_ path: String, limit: Int64) throws(RegistryError) -> Data {
        let handle = try openForReading(path)
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.read(upToCount: Int(limit) + 1) ?? Data() } catch {
            throw RegistryError.transport("cannot read \(path): \(error.localizedDescription)")
        }
        guard data.count <= limit else { throw RegistryError.tooLarge(what: path, limit: limit) }
        return data
    }
}
