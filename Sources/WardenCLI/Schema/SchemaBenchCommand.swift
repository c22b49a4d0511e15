import ArgumentParser
import Foundation
import WardenJSON
import WardenSchema

/// `warden schema bench`: one compiled schema, one instance, many validations; prints the
/// cost per validation in nanoseconds (benchmarks/contract.py drives it).
struct SchemaBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Time repeated validations of one instance.")

    @Option(name: .long, help: "The JSON Schema (its $schema picks draft 2020-12, 2019-09 or 7).")
    var schema: String

    @Option(help: "Validations to time (after as many warm-up ones).")
    var iterations = 50_000

    @Argument(help: "The instance (JSON file).")
    var instance: String

    func run() throws {
        let validator = try Validator(schema: try JSONParser.parse(try CLIFile.read(schema)))
        let document = try JSONParser.parse(try CLIFile.read(instance))
        var valid = false
        let timing = try RepeatedTiming(iterations: iterations) { valid = try validator.validate(document).isEmpty }
        print(
            JSONValue.object([
                ("valid", .bool(valid)), ("iterations", .integer(Int64(iterations))),
                ("p50_ns", .number(timing.percentile(0.5))), ("p90_ns", .number(timing.percentile(0.9))),
                ("p99_ns", .number(timing.percentile(0.99))),
            ]).serialized())
    }
}
