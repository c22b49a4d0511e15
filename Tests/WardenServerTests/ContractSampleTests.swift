import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WardenJSON

@testable import WardenServer
@testable import WardenServing

/// Contract samples: read strictly, sent as OIP v2 requests, and answers held to the expected
/// outputs (which for the example were computed by onnxruntime).
@Suite struct ContractSampleTests {
    static let model = try! ServedModel.load(directory: TestServer.churnDirectory)

    static func contract(editing edit: (inout [String: Any]) -> Void) throws -> ModelContract {
        let path = TestServer.churnDirectory + "/" + ModelContract.fileName
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        edit(&object)
        return try ModelContract(json: try JSONParser.parse(try JSONSerialization.data(withJSONObject: object)))
    }

    static func answer(_ json: String) throws -> JSONValue { try JSONParser.parse(json) }

    @Test func theExampleSamplesPassThroughTheServerAsOnnxruntimeComputedThem() async throws {
        let contract = Self.model.contract
        #expect(contract.samples.map(\.name) == ["typical", "missing-and-unknown", "example-request"])
        let state = try TestServer.state([Self.model])
        try await TestServer.application(state).test(.router) { client in
            for sample in contract.samples {
                let body = try sample.inferenceRequest(inputs: contract.requestInputs)
                try await client.execute(
                    uri: "/v2/models/churn/infer", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: body)
                ) { response in
                    #expect(response.status.code == 200)
                    let answer = try TestServer.parse(response.body)
                    #expect(SampleAnswerCheck.differences(answer: answer, sample: sample, contract: contract) == [], "\(sample.name)")
                }
            }
        }
    }

    @Test func differencesNameTheOutputAndElementButNoValue() throws {
        let contract = Self.model.contract
        let sample = contract.samples[2]  // two rows: label [1, 0]
        let good = #"{"outputs":[{"name":"label","datatype":"INT64","shape":[2],"data":[1,0]},"#
        let probabilities = #"{"name":"probabilities","datatype":"FP32","shape":[2,2],"data":"#
        guard case let .array(rows)? = sample.outputs["probabilities"] else { Issue.record("no probabilities"); return }
        let flat = rows.flatMap { row -> [JSONValue] in if case let .array(items) = row { items } else { [] } }
        func values(_ change: (inout [Double]) -> Void) -> String {
            var numbers: [Double] = flat.map { value -> Double in
                if case let .number(d) = value { return d }
                return .nan
            }
            change(&numbers)
            return "[" + numbers.map { "\($0)" }.joined(separator: ",") + "]}]}"
        }
        let exact = try Self.answer(good + probabilities + values { _ in })
        #expect(SampleAnswerCheck.differences(answer: exact, sample: sample, contract: contract) == [])
        let withinTolerance = try Self.answer(good + probabilities + values { $0[1] += 5e-7 })
        #expect(SampleAnswerCheck.differences(answer: withinTolerance, sample: sample, contract: contract) == [])

        let off = try Self.answer(good + probabilities + values { $0[3] += 0.01 })
        let found = SampleAnswerCheck.differences(answer: off, sample: sample, contract: contract)
        #expect(found.count == 1 && found[0].hasPrefix("output 'probabilities': element 3 of 4 is off by 0.01"))

        let wrongLabel = try Self.answer(good.replacingOccurrences(of: "[1,0]", with: "[1,1]") + probabilities + values { _ in })
        #expect(
            SampleAnswerCheck.differences(answer: wrongLabel, sample: sample, contract: contract) == [
                "output 'label': element 1 of 2 differs from the expected integer"
            ])
        let wrongShape = try Self.answer(
            good.replacingOccurrences(of: "\"shape\":[2]", with: "\"shape\":[2,1]") + probabilities + values { _ in })
        #expect(
            SampleAnswerCheck.differences(answer: wrongShape, sample: sample, contract: contract) == [
                "output 'label': shape is [2, 1], expected [2]"
            ])
        let wrongType = try Self.answer(good.replacingOccurrences(of: "INT64", with: "INT32") + probabilities + values { _ in })
        #expect(
            SampleAnswerCheck.differences(answer: wrongType, sample: sample, contract: contract) == [
                "output 'label': datatype is \"INT32\", the contract says INT64"
            ])
        let missing = try Self.answer(#"{"outputs":[{"name":"label","datatype":"INT64","shape":[2],"data":[1,0]}]}"#)
        #expect(SampleAnswerCheck.differences(answer: missing, sample: sample, contract: contract) == ["output 'probabilities' is missing"])
    }

    @Test func aNaNIsExpectedOnlyWhereTheSampleSaysSo() throws {
        let contract = try Self.contract { object in
            var samples = object["samples"] as! [[String: Any]]
            samples[0]["outputs"] = ["probabilities": [[NSNull(), 0.5]]]
            object["samples"] = Array(samples.prefix(1))
        }
        let sample = contract.samples[0]
        let nan = try Self.answer(#"{"outputs":[{"name":"probabilities","datatype":"FP32","shape":[1,2],"data":[null,0.5]}]}"#)
        #expect(SampleAnswerCheck.differences(answer: nan, sample: sample, contract: contract) == [])
        let number = try Self.answer(#"{"outputs":[{"name":"probabilities","datatype":"FP32","shape":[1,2],"data":[0.5,0.5]}]}"#)
        #expect(
            SampleAnswerCheck.differences(answer: number, sample: sample, contract: contract) == [
                "output 'probabilities': element 0 of 2 is not the expected non-finite value"
            ])
    }

    @Test func malformedSamplesAreRefusedWithTheirPlace() throws {
        func refusal(_ edit: @escaping (inout [String: Any]) -> Void) -> String {
            do {
                _ = try Self.contract { object in
                    var samples = object["samples"] as! [[String: Any]]
                    var first = samples[0]
                    edit(&first)
                    samples[0] = first
                    object["samples"] = samples
                }
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(
            refusal { $0["outputs"] = ["score": [1]] }.contains("samples[0] expects output 'score', which the contract does not declare"))
        #expect(refusal { $0["outputs"] = [String: Any]() }.contains("samples[0] must expect at least one output"))
        #expect(refusal { $0["inputs"] = [String: Any]() }.contains("samples[0] has no input 'tenure'"))
        #expect(refusal { $0["name"] = "two words" }.contains("\"name\" must match"))
        #expect(refusal { $0["name"] = "example-request" }.contains("sample names must be unique"))
        #expect(refusal { $0["tolerance"] = ["absolute": -1] }.contains("samples[0].tolerance.absolute: must be a non-negative number"))
        #expect(refusal { $0["outputs"] = ["label": [[1], [0, 1]]] }.contains("'label': arrays are not rectangular"))
    }

    @Test func theRequestCarriesEachInputWithTheContractsDatatypeAndTheNestingsShape() throws {
        let contract = Self.model.contract
        let body = try contract.samples[0].inferenceRequest(inputs: contract.requestInputs)
        let request = try JSONParser.parse(body)
        guard case let .array(inputs)? = request["inputs"] else { Issue.record("no inputs"); return }
        #expect(inputs.count == contract.inputs.count)
        let contractInput = inputs.first { $0["name"] == .string("contract") }
        #expect(contractInput?["datatype"] == .string("BYTES"))
        #expect(contractInput?["shape"] == .array([.integer(2), .integer(1)]))
        #expect(contractInput?["data"] == .array([.string("month-to-month"), .string("two-year")]))
    }
}
