import Synchronization

/// What one row of a model costs the engine, learnt from its runs (a moving average). It decides
/// where a request's model work runs: a request expected to take less than `inlineLimit` runs on
/// the thread that handles it (a hop to the engine threads and back costs more than the work),
/// anything longer or not yet known runs on the engine threads, where it can outlive its deadline
/// without holding the request.
package final class EngineCost: Sendable {
    package static let inlineLimit: Duration = .microseconds(500)

    private let perRowSeconds = Mutex<Double?>(nil)

    /// The expected engine time of `rows` rows; nil until the model has run.
    package func estimate(rows: Int) -> Duration? {
        perRowSeconds.withLock { $0 }.map { .seconds($0 * Double(max(1, rows))) }
    }

    package func record(rows: Int, duration: Duration) {
        let sample = duration.seconds / Double(max(1, rows))
        perRowSeconds.withLock { average in
            // The upper side moves fast: one slow run is enough to stop running inline.
            guard let previous = average else { return average = sample }
            average = sample > previous ? max(sample, 0.5 * previous + 0.5 * sample) : 0.9 * previous + 0.1 * sample
        }
    }

    /// Whether `rows` rows are cheap enough to run inline.
    package func runsInline(rows: Int) -> Bool {
        guard let expected = estimate(rows: rows) else { return false }
        return expected < Self.inlineLimit
    }
}
