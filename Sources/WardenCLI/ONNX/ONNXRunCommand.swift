import ArgumentParser
import Foundation
import WardenJSON
import WardenONNX

/// `warden onnx run MODEL.onnx --input INPUT.json`: one inference, JSON in and out.
///
/// INPUT.json maps each graph input to a nested array (strings for string tensors, null for
/// NaN, "inf"/"-inf" for infinities). The output maps each output name to its nested array;
/// ZipMap outputs are lists of objects.
struct ONNXRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run an ONNX model once on JSON input and print the outputs as JSON.")

    @Argument(help: "Path to the .onnx file.")
    var model: String

    @Option(help: "JSON file mapping input names to nested arrays ('-' for standard input).")
    var input: String

    @Option(name: .customLong("output"), help: "Output to print (repeatable; all by default).")
    var outputs: [String] = []

    func run() throws {
        let session = try InferenceSession(modelBytes: try CLIFile.read(model))
        let feeds = try JSONFeeds.read(input, for: session)
        let names = outputs.isEmpty ? session.outputs.map(\.name) : outputs
        let results = try session.run(feeds, outputNames: names)
        print(JSONValue.object(names.map { ($0, JSONTensorCoding.json(results[$0]!)) }).serialized())
    }
}
