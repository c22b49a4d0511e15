import ArgumentParser
import Foundation
import WardenJSON
import WardenONNX

/// `warden onnx bench MODEL.onnx --input BATCH.json`: times the engine alone on one batch,
/// in process, and prints JSON. Used by benchmarks/onnx_engine.py beside onnxruntime.
struct ONNXBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Time repeated inferences of one batch (for benchmarks).")

    @Argument(help: "Path to the .onnx file.")
    var model: String

    @Option(help: "JSON file mapping input names to nested arrays: the batch to run.")
    var input: String

    @Option(help: "Timed calls.")
    var iterations = 2000

    @Option(help: "Untimed calls first.")
    var warmup = 200

    func run() throws {
        let session = try InferenceSession(modelBytes: try CLIFile.read(model))
        let feeds = try JSONFeeds.read(input, for: session)
        let rows = feeds.values.compactMap { $0.tensor?.shape.first }.first ?? 1
        for _ in 0..<warmup { _ = try session.run(feeds) }
        var samples: [Double] = []
        samples.reserveCapacity(iterations)
        let clock = ContinuousClock()
        for _ in 0..<iterations {
            let start = clock.now
            _ = try session.run(feeds)
            let elapsed = clock.now - start
            samples.append(Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
        }
        samples.sort()
        let median = samples[samples.count / 2]
        let p99 = samples[min(samples.count - 1, Int(Double(samples.count) * 0.99))]
        let total = samples.reduce(0, +)
        let report: JSONValue = .object([
            ("rows", .integer(Int64(rows))), ("iterations", .integer(Int64(iterations))),
            ("median_us", .number(median)), ("p99_us", .number(p99)),
            ("rows_per_s", .number(Double(rows * iterations) / (total / 1e6))),
        ])
        print(report.serialized())
    }
}
