import Foundation
import Logging
import WardenJSON
import WardenServer
import WardenServing

/// A swift-log backend writing one JSON object per line to standard output: timestamp,
/// level, message, label and the metadata (which Warden's libraries fill only from
/// allow-listed record types).
struct JSONLogHandler: LogHandler {
    let label: String
    /// A level this logger fixed for itself (the audit trail's); else the process's, which
    /// `/v2/logging` changes at run time.
    private var fixedLevel: Logger.Level?
    var logLevel: Logger.Level {
        get { fixedLevel ?? LogLevelControl.shared.current }
        set { fixedLevel = newValue }
    }
    var metadata: Logger.Metadata = [:]

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The keys every line starts with; metadata cannot replace them.
    private static let reservedKeys: Set<String> = ["ts", "level", "msg", "logger"]

    func log(event: LogEvent) {
        // The event's metadata wins over the handler's, which is usually empty: no merge then.
        var merged = event.metadata ?? [:]
        if !metadata.isEmpty { merged.merge(metadata) { event, _ in event } }
        // Written straight into bytes: building a JSON value first was half of a line's cost.
        var line = JSONWriter(capacity: 384)
        line.raw("{\"ts\":")
        line.string(Self.timestamp())
        line.raw(",\"level\":")
        line.string(event.level.rawValue)
        line.raw(",\"msg\":")
        line.string(event.message.description)
        line.raw(",\"logger\":")
        line.string(label)
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) where !Self.reservedKeys.contains(key) {
            line.raw(",")
            line.string(key)
            line.raw(":")
            Self.write(value, to: &line)
        }
        line.raw("}\n")
        // Routine lines are batched; what an operator must not lose is written at once.
        let urgent = event.level >= .warning || merged["audit"] != nil
        LogWriter.shared.write(line.bytes, urgent: urgent)
    }

    private static func write(_ value: Logger.Metadata.Value, to line: inout JSONWriter) {
        switch value {
        case let .string(text): line.string(text)
        case let .stringConvertible(convertible):
            let text = convertible.description
            if let number = Int64(text) { line.integer(number) } else { line.string(text) }
        case let .array(items):
            line.array(items) { writer, item in write(item, to: &writer) }
        case let .dictionary(members):
            line.raw("{")
            for (index, (key, item)) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { line.raw(",") }
                line.string(key)
                line.raw(":")
                write(item, to: &line)
            }
            line.raw("}")
        }
    }

    /// RFC 3339 UTC with milliseconds, formatted by hand: Foundation's ISO 8601 formatter costs
    /// more than the rest of a log line.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int32, _ count: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, count - text.count)) + text
        }
        return digits(parts.tm_year + 1900, 4) + "-" + digits(parts.tm_mon + 1, 2) + "-" + digits(parts.tm_mday, 2) + "T"
            + digits(parts.tm_hour, 2) + ":" + digits(parts.tm_min, 2) + ":" + digits(parts.tm_sec, 2) + "."
            + digits(Int32(now.tv_nsec / 1_000_000), 3) + "Z"
    }
}
