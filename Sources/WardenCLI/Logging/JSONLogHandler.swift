import Foundation
import Logging
import WardenJSON

/// A swift-log backend writing one JSON object per line to standard output: timestamp,
/// level, message, label and the metadata (which Warden's libraries fill only from
/// allow-listed record types).
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var members: [(key: String, value: JSONValue)] = [
            ("ts", .string(Self.timestamp())), ("level", .string(event.level.rawValue)),
            ("msg", .string(event.message.description)), ("logger", .string(label)),
        ]
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) where !["ts", "level", "msg", "logger"].contains(key) {
            members.append((key, Self.json(value)))
        }
        let line = JSONValue.object(members).serialized() + "\n"
        // Routine lines are batched; what an operator must not lose is written at once.
        let urgent = event.level >= .warning || merged["audit"] != nil
        LogWriter.shared.write(line, urgent: urgent)
    }

    private static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case let .string(s): .string(s)
        case let .stringConvertible(c): Int64(c.description).map(JSONValue.integer) ?? .string(c.description)
        case let .array(items): .array(items.map(json))
        case let .dictionary(d): .object(d.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) })
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
