import ArgumentParser
import Foundation
import WardenJSON
import WardenONNX
import WardenServer
import WardenServing

/// `warden contract`: write a model's contract from what the graph declares, and check a
/// contract against its model offline (docs/contract.md).
struct ContractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contract", abstract: "Derive and check model contracts (warden-model.json).",
        subcommands: [ContractInitCommand.self, ContractCheckCommand.self])
}

struct ContractInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract:
            "Print the contract Warden derives from MODEL.onnx: inputs, outputs, an input schema skeleton, and with --from-sample bounds, warm-up and samples."
    )

    @Argument(help: "The .onnx file.")
    var model: String

    @Option(name: .customLong("from-sample"), help: "A JSON array of rows (objects keyed by input name; NaN or null for a missing value).")
    var fromSample: String?

    @Option(name: .long, help: "The model's name (default: the name of the folder holding MODEL.onnx).")
    var name: String?

    func run() throws {
        let session = try InferenceSession(modelBytes: try CLIFile.read(model))
        let folder = URL(fileURLWithPath: model).standardizedFileURL.deletingLastPathComponent().lastPathComponent
        let rows = try fromSample.map { path -> [JSONValue] in
            var limits = JSONParser.Limits()
            limits.allowsNonFiniteNumbers = true  // rows written by Python's json carry NaN for missing values
            guard case let .array(rows) = try JSONParser.parse(try CLIFile.read(path), limits: limits) else {
                throw ValidationError("\(path) must hold a JSON array of rows")
            }
            return rows
        }
        let contract = try ContractScaffold.contract(for: session, name: name ?? folder, rows: rows)
        print(contract.prettyPrinted(), terminator: "")
    }
}

struct ContractCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check DIR's warden-model.json against its model.onnx offline; list every problem (exit 1 when there is one).")

    @Argument(help: "The model folder (model.onnx and warden-model.json).")
    var directory: String

    func run() throws {
        let problems = ContractCheck.problems(directory: directory)
        guard !problems.isEmpty else {
            print("\(directory): the contract describes the model; schemas compile, warm-up and samples pass")
            return
        }
        for problem in problems { print("- \(problem)") }
        throw ExitCode(1)
    }
}
