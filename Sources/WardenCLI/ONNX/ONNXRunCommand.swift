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
        let text = input == "-" ? FileHandle.standardInput.readDataToEndOfFile() : Data(try CLIFile.read(input))
        let document: JSONValue
        do {
            document = try JSONParser.parse(text)
        } catch {
            throw ValidationError("\(input) is not valid JSON: \(error)")
        }
        guard case let .object(members) = document else { throw ValidationError("\(input) must hold a JSON object of inputs") }
        var feeds: [String: Value] = [:]
        for (name, json) in members {
            guard let declared = session.inputs.first(where: { $0.name == name }) else {
                throw ValidationError("the model has no input '\(name)' (inputs: \(session.inputs.map(\.name).joined(separator: ", ")))")
            }
            do {
                feeds[name] = try JSONTensorCoding.value(from: json, for: declared)
            } catch {
                throw ValidationError("input '\(name)': \(error)")
            }
        }
        let names = outputs.isEmpty ? session.outputs.map(\.name) : outputs
        let results = try session.run(feeds, outputNames: names)
        print(JSONValue.object(names.map { ($0, JSONTensorCoding.json(results[$0]!)) }).serialized())
    }
}
