import Logging
import Synchronization

/// The log level of the running process, changeable while it runs (`/v2/logging`). Log
/// handlers read it on every line unless a logger fixed its own level (the audit trail does:
/// no level silences it).
public final class LogLevelControl: Sendable {
    public static let shared = LogLevelControl()

    private let level = Atomic<Int>(Logger.Level.info.index)

    public var current: Logger.Level {
        get { Logger.Level.allCases[level.load(ordering: .relaxed)] }
        set { level.store(newValue.index, ordering: .relaxed) }
    }
}

extension Logger.Level {
    package var index: Int { Logger.Level.allCases.firstIndex(of: self) ?? 2 }
}
