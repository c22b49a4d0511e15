import Foundation
import Synchronization

/// Where a request's time went, stage by stage, as Triton's statistics split it: waiting for
/// admission (queue), decoding and the input contract (compute_input), the engine
/// (compute_infer), the output contract, redaction and encoding (compute_output).
struct StageTimes {
    var queue: Duration = .zero
    var input: Duration = .zero
    var infer: Duration = .zero
    var output: Duration = .zero
    /// The batch size: Triton's inference_count counts rows.
    var rows = 0
}

/// One model version's inference statistics, in the shape of Triton's statistics extension
/// (`GET /v2/models/{m}/stats`), so `tritonclient`'s `get_inference_statistics` reads them.
final class InferenceStatistics: Sendable {
    /// A count and the nanoseconds it took in total.
    struct Tally: Equatable {
        var count: Int64 = 0
        var nanoseconds: Int64 = 0

        mutating func add(_ duration: Duration) {
            count += 1
            let (seconds, attoseconds) = duration.components
            nanoseconds += seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        }
    }

    struct Snapshot: Equatable {
        var success = Tally(), fail = Tally(), queue = Tally(), computeInput = Tally(), computeInfer = Tally(), computeOutput = Tally()
        /// Rows inferred (Triton counts batch items), and engine runs.
        var inferenceCount: Int64 = 0
        var executionCount: Int64 = 0
        /// Milliseconds since the Unix epoch of the last successful inference; 0 before one.
        var lastInference: Int64 = 0
    }

    private let state = Mutex(Snapshot())

    var snapshot: Snapshot { state.withLock { $0 } }

    func recordSuccess(total: Duration, stages: StageTimes) {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        state.withLock { stats in
            stats.success.add(total)
            stats.queue.add(stages.queue)
            stats.computeInput.add(stages.input)
            stats.computeInfer.add(stages.infer)
            stats.computeOutput.add(stages.output)
            stats.inferenceCount += Int64(stages.rows)
            stats.executionCount += 1
            stats.lastInference = now
        }
    }

    func recordFailure(total: Duration) {
        state.withLock { $0.fail.add(total) }
    }
}
