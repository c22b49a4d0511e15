import ArgumentParser
import Foundation
import WardenJSON
import WardenPolicy
import WardenServer
import WardenServing

/// `warden policy bench`: one compiled policy, one input, many evaluations; prints latency
/// percentiles (benchmarks/policy.py drives it).
struct PolicyBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Time repeated evaluations of a Rego document.")

    @Option(name: .shortAndLong, parsing: .singleValue, help: "Policy (.rego) or data (.json/.yaml) files or folders.")
    var data: [String] = []

    @Option(name: .shortAndLong, help: "Input document (JSON or YAML).")
    var input: String

    @Option(help: "Evaluations to time (after as many warm-up ones).")
    var iterations = 20_000

    @Flag(name: .customLong("v0-compatible"), help: "Read policies in Rego v0 syntax.")
    var v0Compatible = false

    @Argument(help: "Document path, e.g. data.serving.request.allow")
    var document: String

    func run() throws {
        let bundle = try PolicyFiles.load(data)
        let policy = try Policy(modules: bundle.modules, syntax: v0Compatible ? .v0 : .v1)
        let inputValue = try PolicyFiles.document(at: input)
        let path = document.split(separator: ".").dropFirst().map(String.init)
        var result: Value?
        let timing = try RepeatedTiming(iterations: iterations) {
            result = try policy.value(of: path, input: inputValue, data: bundle.data)
        }
        func percentile(_ p: Double) -> Double { timing.percentile(p) / 1000 }
        print(
            JSONValue.object([
                ("document", .string(document)), ("result", result?.json ?? .null), ("iterations", .integer(Int64(iterations))),
                ("p50_us", .number(percentile(0.50))), ("p90_us", .number(percentile(0.90))), ("p99_us", .number(percentile(0.99))),
                ("max_us", .number((timing.samples.last ?? 0) / 1000)),
            ]).serialized())
    }
}
