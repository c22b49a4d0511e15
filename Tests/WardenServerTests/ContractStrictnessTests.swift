import Foundation
import Testing
import WardenJSON
import WardenONNX

@testable import WardenServer
@testable import WardenServing

/// Contracts fail closed: whatever a contract says that Warden would not enforce, or that
/// contradicts the graph, refuses the model at load with the key path.
@Suite struct ContractStrictnessTests {
    static func loadFailure(_ edit: (inout [String: Any]) -> Void) throws -> String {
        let directory = try TestServer.churnDirectory(editingContract: edit)
        do {
            let model = try ServedModel.load(directory: directory)
            try model.warmUp()
        } catch {
            return "\(error)"
        }
        Issue.record("the contract was accepted")
        return ""
    }

    static func inputs(_ contract: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        var inputs = contract["inputs"] as! [[String: Any]]
        edit(&inputs[1])
        contract["inputs"] = inputs
    }

    @Test func aMisspeltKeyIsRefusedWithASuggestion() throws {
        let message = try Self.loadFailure { $0["input_shema"] = $0.removeValue(forKey: "input_schema") }
        #expect(message.contains("unknown key \"input_shema\" (did you mean \"input_schema\"?)"))
    }

    @Test func unknownKeysInNestedObjectsNameTheirPath() throws {
        let message = try Self.loadFailure { Self.inputs(&$0) { $0["dtype"] = "FP32" } }
        #expect(message.contains("inputs[1]: unknown key \"dtype\""))
        let sample = try Self.loadFailure { contract in
            var samples = contract["samples"] as! [[String: Any]]
            samples[0]["tolerance"] = ["absolut": 0.1]
            contract["samples"] = samples
        }
        #expect(sample.contains("samples[0].tolerance: unknown key \"absolut\" (did you mean \"absolute\"?)"))
    }

    @Test func classLabelsIsRefusedWithWhatToDoInstead() throws {
        let message = try Self.loadFailure { $0["class_labels"] = ["stay", "churn"] }
        #expect(message.contains("\"class_labels\" is no longer part of the contract"))
    }

    @Test func keysOfTheWrongTypeAreRefused() throws {
        #expect(try Self.loadFailure { $0["description"] = 3 }.contains("description: must be a string"))
        #expect(try Self.loadFailure { $0["input_schema"] = "strict" }.contains("input_schema: must be a JSON Schema"))
        #expect(
            try Self.loadFailure { Self.inputs(&$0) { $0["shape"] = [-1, "1"] } }.contains("inputs[1].shape: dimensions must be integers"))
    }

    @Test func aFixedDimensionTheGraphContradictsIsRefused() throws {
        let message = try Self.loadFailure { Self.inputs(&$0) { $0["shape"] = [-1, 2] } }
        #expect(message.contains("inputs[1].shape[1]: 'monthly_charges' has 1 there in the model, not 2"), "\(message)")
    }

    @Test func aDatatypeTheGraphContradictsIsRefused() throws {
        let input = try Self.loadFailure { Self.inputs(&$0) { $0["datatype"] = "FP64" } }
        #expect(input.contains("inputs[1].datatype"))
        let output = try Self.loadFailure { contract in
            var outputs = contract["outputs"] as! [[String: Any]]
            outputs[1]["datatype"] = "INT64"
            contract["outputs"] = outputs
        }
        #expect(output.contains("outputs[1].datatype: output 'probabilities' is FP32 in the model, not INT64"), "\(output)")
    }

    @Test func anOutputTheGraphDoesNotProduceIsRefused() throws {
        let message = try Self.loadFailure { contract in
            var outputs = contract["outputs"] as! [[String: Any]]
            outputs.append(["name": "scores", "datatype": "FP32", "shape": [-1, 2]])
            contract["outputs"] = outputs
        }
        #expect(message.contains("outputs[2].name: the model produces no output 'scores'"))
    }

    @Test func featuresMustCountTheMatrixColumns() throws {
        let directory = try TestServer.bareModelDirectory(fixture: "random_forest")
        let session = try InferenceSession(modelBytes: Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/model.onnx"))))
        var contract = ModelContract.derived(from: session, name: "forest")
        let width = contract.inputs[0].shape[1]
        #expect(width > 1)
        contract.features = (0..<(width - 1)).map { "f\($0)" }
        #expect(
            contract.problems(against: session) == [
                "features: \(width - 1) names for the \(width) columns the model's input '\(contract.inputs[0].name)' has"
            ])
        let text =
            "{\"name\":\"forest\",\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[-1,3]}],"
            + "\"outputs\":[{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[-1]}],\"features\":[\"a\",\"b\"]}"
        #expect(throws: ContractError.self) { try ModelContract(json: try JSONParser.parse(text)) }
    }

    @Test func warmUpSamplesGoThroughTheContract() throws {
        let message = try Self.loadFailure { contract in
            var warmup = contract["warmup"] as! [[String: Any]]
            warmup[0]["tenure"] = [[-5], [3]]
            contract["warmup"] = warmup
        }
        #expect(
            message.contains(
                "warm-up sample 0 is outside the input contract: the request does not satisfy the model's input contract: /0/tenure fails minimum"
            ), "\(message)")
    }

    /// `warden contract check` lists every graph problem at once.
    @Test func contractCheckListsEveryProblem() throws {
        let directory = try TestServer.churnDirectory { contract in
            var inputs = contract["inputs"] as! [[String: Any]]
            inputs[0]["datatype"] = "FP32"
            inputs[1]["shape"] = [-1, 3]
            contract["inputs"] = inputs
        }
        let problems = ContractCheck.problems(directory: directory)
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("inputs[0].datatype") } && problems.contains { $0.hasPrefix("inputs[1].shape[1]") })
        #expect(ContractCheck.problems(directory: TestServer.churnDirectory) == [])
    }

    /// The reference in docs/contract.md lists exactly the keys the parser reads, in order.
    @Test func theReferenceDocumentsExactlyTheParsersKeys() throws {
        let text = try String(contentsOf: TestServer.root.appendingPathComponent("docs/contract.md"), encoding: .utf8)
        let sections: [(String, [String])] = [
            ("## Top level", ModelContract.keys), ("## Tensors (inputs[], outputs[])", TensorSpec.keys),
            ("## feature_store", FeatureStoreContract.keys), ("## samples[]", ContractSample.keys),
            ("## samples[].tolerance", ContractSample.Tolerance.keys), ("## explanations", ExplanationContract.keys),
        ]
        for (heading, keys) in sections {
            #expect(Self.tableKeys(in: text, under: heading) == keys, "\(heading)")
        }
    }

    /// The keys in the first column of the first table after `heading`.
    static func tableKeys(in text: String, under heading: String) -> [String] {
        let lines = text.components(separatedBy: "\n")
        guard let start = lines.firstIndex(of: heading) else { return [] }
        var keys: [String] = []
        var inTable = false
        for line in lines[(start + 1)...] {
            if line.hasPrefix("## ") { break }
            guard line.hasPrefix("|") else {
                if inTable { break }
                continue
            }
            inTable = true
            let cell = line.split(separator: "|", omittingEmptySubsequences: true).first?.trimmingCharacters(in: .whitespaces) ?? ""
            if cell.hasPrefix("`"), cell.hasSuffix("`"), cell.count > 2 { keys.append(String(cell.dropFirst().dropLast())) }
        }
        return keys
    }
}
