import Foundation
import Synchronization

/// Where a request's time went, stage by stage, as Triton's statistics split it: waiting for
/// admission (queue), decoding and the input contract (compute_input), the engine
/// (compute_infer), the output contract, redaction and encoding (compute_output).
package struct StageTimes {
    package var queue: Duration = .zero
    package var input: Duration = .zero
    package var infer: Duration = .zero
    package var output: Duration = .zero
    /// The batch size: Triton's inference_count counts rows.
    package var rows = 0

    package init(queue: Duration = .zero, input: Duration = .zero, infer: Duration = .zero, output: Duration = .zero) {
        self.queue = queue
        self.input = input
        self.infer = infer
        self.output = output
    }
}

/// One model version's inference statistics, in the shape of Triton's statistics extension
/// (`GET /v2/models/{m}/stats`), so `tritonclient`'s `get_inference_statistics` reads them.
package final class InferenceStatistics: Sendable {
    /// A count and the nanoseconds it took in total.
    package struct Tally: Equatable {
        package var count: Int64 = 0
        package var nanoseconds: Int64 = 0

        package mutating func add(_ duration: Duration) {
            count += 1
            let (seconds, attoseconds) = duration.components
            nanoseconds += seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        }

        package init(count: Int64 = 0, nanoseconds: Int64 = 0) {
            self.count = count
            self.nanoseconds = nanoseconds
        }
    }

    package struct Snapshot: Equatable {
        package var success = Tally(), fail = Tally(), queue = Tally(), computeInput = Tally(), computeInfer = Tally(),
            computeOutput = Tally()
        /// Rows inferred (Triton counts batch items), and engine runs.
        package var inferenceCount: Int64 = 0
        package var executionCount: Int64 = 0
        /// Milliseconds since the Unix epoch of the last successful inference; 0 before one.
        package var lastInference: Int64 = 0
    }

    private let state = Mutex(Snapshot())

    package var snapshot: Snapshot { state.withLock { $0 } }

    package func recordSuccess(total: Duration, stages: StageTimes) {
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

    package func recordFailure(total: Duration) {
        state.withLock { $0.fail.add(total) }
    }
}
