import Foundation

/// Standard output for log lines, written in batches: lines gather in memory and go out in one
/// `write(2)` when the buffer passes 64 KiB, every 20 ms, at once for a warning, an error or an
/// audit event, and at exit. A `write` per line was half of a log line's cost under load; a
/// crash can lose at most the last 20 ms of routine lines, never an audit event or an error.
final class LogWriter: @unchecked Sendable {
    static let shared = LogWriter()

    static let flushBytes = 64 << 10
    static let flushInterval: TimeInterval = 0.02

    private let lock = NSLock()
    /// Guarded by `lock`.
    private var buffer: [UInt8] = []
    /// Held while writing, so lines reach the file in the order they were logged.
    private let writeLock = NSLock()

    private init() {
        buffer.reserveCapacity(Self.flushBytes)
        let flusher = Thread { [unowned self] in
            while true {
                Thread.sleep(forTimeInterval: Self.flushInterval)
                flush()
            }
        }
        flusher.name = "log-flush"
        flusher.start()
        atexit { LogWriter.shared.flush() }
    }

    /// Queues one line (with its newline); `urgent` writes it and everything before it now.
    func write(_ line: [UInt8], urgent: Bool) {
        lock.lock()
        buffer.append(contentsOf: line)
        let full = buffer.count >= Self.flushBytes
        lock.unlock()
        if urgent || full { flush() }
    }

    func flush() {
        writeLock.lock()
        defer { writeLock.unlock() }
        lock.lock()
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        lock.unlock()
        guard !pending.isEmpty else { return }
        pending.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return  // stdout is gone: nothing else can be done with the lines
                }
            }
        }
    }
}
