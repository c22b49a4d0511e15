import ArgumentParser
import Foundation
import WardenJSON
import WardenONNX

/// Reads a JSON file ("-" for standard input) mapping graph input names to nested arrays, as
/// `warden onnx run` and `warden onnx bench` take it, into engine inputs.
enum JSONFeeds {
    static func read(_ path: String, for session: InferenceSession) throws -> [String: Value] {
        let text = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : Data(try CLIFile.read(path))
        let document: JSONValue
        do {
            document = try JSONParser.parse(text)
        } catch {
            throw ValidationError("\(path) is not valid JSON: \(error)")
        }
        guard case let .object(members) = document else { throw ValidationError("\(path) must hold a JSON object of inputs") }
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
        return feeds
    }
}
