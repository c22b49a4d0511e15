import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WardenJSON
import WardenONNX

@testable import WardenServer
@testable import WardenServing

/// The model contract on every request: input rows checked before the engine, output rows
/// after, redactions in every response format.
@Suite struct ContractTests {
    static let churn: ServerState = {
        try! TestServer.state([try! ServedModel.load(directory: TestServer.churnDirectory)])
    }()
    static let jsonHeaders: HTTPFields = [.contentType: "application/json", .accept: "application/problem+json"]

    static func tensor(_ name: String, _ datatype: String, _ values: [String]) -> String {
        "{\"name\":\"\(name)\",\"datatype\":\"\(datatype)\",\"shape\":[\(values.count),1],\"data\":[\(values.joined(separator: ","))]}"
    }

    static func problem(_ response: TestResponse) throws -> JSONValue {
        #expect(response.headers[.contentType] == "application/problem+json")
        return try TestServer.parse(response.body)
    }

    static func pointers(_ problem: JSONValue) -> [String] {
        guard case let .array(errors)? = problem["errors"] else { return [] }
        return errors.compactMap { error in
            guard case let .string(pointer)? = error["pointer"], case let .string(keyword)? = error["keyword"] else { return nil }
            return "\(pointer) \(keyword)"
        }
    }

    @Test func inputOutsideTheContractIs422WithPointersAndNoValues() async throws {
        // Row 1 is out of contract in two fields; the values are markers that must not come back.
        let body = TestServer.churnRequest(
            rows: 2,
            overrides: [
                "tenure": Self.tensor("tenure", "INT64", ["3", "-987654321"]),
                "contract": Self.tensor("contract", "BYTES", ["\"two-year\"", "\"SECRET_MARKER_77 drop table\""]),
            ])
        try await TestServer.application(Self.churn).test(.router) { client in
            try await client.execute(
                uri: "/v2/models/churn/infer", method: .post, headers: Self.jsonHeaders, body: TestServer.json(body)
            ) { response in
                #expect(response.status.code == 422)
                #expect(response.headers[.wardenErrorCode] == "contract_violation")
                let text = String(buffer: response.body)
                #expect(!text.contains("987654321") && !text.contains("SECRET_MARKER_77"))
                let problem = try Self.problem(response)
                #expect(problem["title"] == .string("Contract violation"))
                #expect(Self.pointers(problem) == ["/1/tenure minimum", "/1/contract pattern"])
                guard case let .array(errors)? = problem["errors"] else { return }
                #expect(errors[0]["schema_location"] == .string("#/properties/tenure/minimum"))
            }
        }
    }

    @Test func binaryInputIsCheckedLikeJSON() async throws {
        let tenure = "{\"name\":\"tenure\",\"datatype\":\"INT32\",\"shape\":[1,1],\"parameters\":{\"binary_data_size\":4}}"
        let header = TestServer.churnRequest(overrides: ["tenure": tenure])
        let minusFive = withUnsafeBytes(of: Int32(-5).littleEndian, Array.init)
        let headers: HTTPFields = [.contentType: "application/octet-stream", .inferenceHeaderContentLength: String(header.utf8.count)]
        try await TestServer.application(Self.churn).test(.router) { client in
            try await client.execute(
                uri: "/v2/models/churn/infer", method: .post, headers: headers, body: ByteBuffer(bytes: Array(header.utf8) + minusFive)
            ) { response in
                #expect(response.status.code == 422)
                let problem = try TestServer.parse(response.body)
                #expect(Self.pointers(problem) == ["/0/tenure minimum"])
            }
        }
    }

    @Test func nullIsAMissingNumberAndFloatsAreCheckedAsSent() async throws {
        // 0.1 as FP32 is 0.100000001…; the contract sees the 0.1 the client sent.
        let body = TestServer.churnRequest(overrides: [
            "age": Self.tensor("age", "FP32", ["null"]), "monthly_charges": Self.tensor("monthly_charges", "FP32", ["0.1"]),
        ])
        let tight = try ServedModel.load(
            directory: try TestServer.churnDirectory { contract in
                var schema = contract["input_schema"] as! [String: Any]
                var properties = schema["properties"] as! [String: Any]
                properties["monthly_charges"] = ["type": ["number", "null"], "maximum": 0.1]
                schema["properties"] = properties
                contract["input_schema"] = schema
                // The example's warm-up rows are over this maximum, and warm-up goes through the contract.
                contract.removeValue(forKey: "warmup")
            })
        try await TestServer.application(try TestServer.state([tight])).test(.router) { client in
            try await client.execute(
                uri: "/v2/models/churn/infer", method: .post, headers: Self.jsonHeaders, body: TestServer.json(body)
            ) { #expect($0.status == .ok) }
        }
    }

    @Test func kserveV1InstancesAreCheckedToo() async throws {
        let instance =
            #"{"tenure": 3, "monthly_charges": 50, "total_charges": 150, "support_calls": 1, "num_services": 2, "data_usage_gb": 1, "days_since_login": 2, "age": 200, "contract": "two-year", "payment": "bank"}"#
        try await TestServer.application(Self.churn).test(.router) { client in
            try await client.execute(
                uri: "/v1/models/churn:predict", method: .post, headers: Self.jsonHeaders,
                body: TestServer.json("{\"instances\": [\(instance)]}")
            ) { response in
                #expect(response.status.code == 422)
                let problem = try TestServer.parse(response.body)
                #expect(Self.pointers(problem) == ["/0/age maximum"])
            }
        }
    }

    @Test func outputOutsideTheContractIsNotSent() async throws {
        let strict = try ServedModel.load(
            directory: try TestServer.churnDirectory { contract in
                var schema = contract["output_schema"] as! [String: Any]
                var properties = schema["properties"] as! [String: Any]
                properties["label"] = ["enum": [7]]
                schema["properties"] = properties
                contract["output_schema"] = schema
            })
        try await TestServer.application(try TestServer.state([strict])).test(.router) { client in
            try await client.execute(
                uri: "/v2/models/churn/infer", method: .post, headers: Self.jsonHeaders, body: TestServer.json(TestServer.churnRequest())
            ) { response in
                #expect(response.status.code == 500)
                #expect(response.headers[.wardenErrorCode] == "output_contract_violation")
                let problem = try TestServer.parse(response.body)
                #expect(problem["outputs"] == nil && problem["errors"] == nil)
            }
        }
    }

    static func redactingChurn() throws -> ServedModel {
        try ServedModel.load(
            directory: try TestServer.churnDirectory { contract in
                var schema = contract["output_schema"] as! [String: Any]
                var properties = schema["properties"] as! [String: Any]
                for (name, action) in [("label", "hash"), ("probabilities", "mask")] {
                    var field = properties[name] as! [String: Any]
                    field["x-warden-redact"] = action
                    properties[name] = field
                }
                schema["properties"] = properties
                contract["output_schema"] = schema
            })
    }

    @Test func redactionMasksAndHashesInJSONAndBinaryResponses() async throws {
        let state = try TestServer.state([try Self.redactingChurn()])
        let binaryHeader =
            String(TestServer.churnRequest(rows: 2).dropLast())
            + ",\"outputs\":[{\"name\":\"probabilities\",\"parameters\":{\"binary_data\":true}},{\"name\":\"label\"}]}"
        try await TestServer.application(state).test(.router) { client in
            try await client.execute(
                uri: "/v2/models/churn/infer", method: .post, headers: Self.jsonHeaders,
                body: TestServer.json(TestServer.churnRequest(rows: 2))
            ) { response in
                #expect(response.status == .ok)
                let body = try TestServer.parse(response.body)
                guard case let .array(outputs)? = body["outputs"] else { Issue.record("no outputs"); return }
                #expect(outputs[0]["datatype"] == .string("BYTES"))
                guard case let .array(labels)? = outputs[0]["data"], case let .string(hash)? = labels.first else {
                    Issue.record("no hashed label")
                    return
                }
                #expect(hash.count == 64 && hash.allSatisfy(\.isHexDigit))
                #expect(labels[0] == labels[1], "the same label hashes the same")
                #expect(outputs[1]["shape"] == .array([.integer(2), .integer(2)]))
                #expect(outputs[1]["data"] == .array(Array(repeating: .string(OutputRedactor.mask), count: 4)))
            }
            try await client.execute(
                uri: "/v2/models/churn/infer", method: .post, headers: Self.jsonHeaders, body: TestServer.json(binaryHeader)
            ) { response in
                #expect(response.status == .ok)
                let length = try #require(response.headers[.inferenceHeaderContentLength].flatMap(Int.init))
                let bytes = Array(response.body.readableBytesView)
                let head = try JSONParser.parse(bytes[..<length])
                #expect(head["outputs"]?.arrayValue?.first?["datatype"] == .string("BYTES"))
                let mask = Array(OutputRedactor.mask.utf8)
                let one = withUnsafeBytes(of: UInt32(mask.count).littleEndian, Array.init) + mask
                #expect(Array(bytes[length...]) == Array([[UInt8]](repeating: one, count: 4).joined()))
            }
        }
    }

    @Test func droppedOutputsNeverLeaveInV2OrV1() async throws {
        let dropping = try ServedModel.load(
            directory: try TestServer.churnDirectory { contract in
                var schema = contract["output_schema"] as! [String: Any]
                var properties = schema["properties"] as! [String: Any]
                var field = properties["probabilities"] as! [String: Any]
                field["x-warden-redact"] = "drop"
                properties["probabilities"] = field
                schema["properties"] = properties
                contract["output_schema"] = schema
            })
        let explicit = String(TestServer.churnRequest().dropLast()) + ",\"outputs\":[{\"name\":\"probabilities\"},{\"name\":\"label\"}]}"
        let instance =
            #"{"tenure": 3, "monthly_charges": 50, "total_charges": 150, "support_calls": 1, "num_services": 2, "data_usage_gb": 1, "days_since_login": 2, "age": 20, "contract": "two-year", "payment": "bank"}"#
        try await TestServer.application(try TestServer.state([dropping])).test(.router) { client in
            try await client.execute(
                uri: "/v2/models/churn/infer", method: .post, headers: Self.jsonHeaders, body: TestServer.json(explicit)
            ) { response in
                #expect(response.status == .ok)
                let outputs = try TestServer.parse(response.body)["outputs"]?.arrayValue ?? []
                #expect(outputs.map { $0["name"] } == [.string("label")])
            }
            try await client.execute(
                uri: "/v1/models/churn:predict", method: .post, headers: Self.jsonHeaders,
                body: TestServer.json("{\"instances\": [\(instance)]}")
            ) { response in
                #expect(response.status == .ok)
                let predictions = try TestServer.parse(response.body)["predictions"]?.arrayValue ?? []
                #expect(predictions.count == 1)
                #expect(!String(buffer: response.body).contains("probabilities"))
            }
        }
    }

    @Test(arguments: [
        ("input_schema", #"{"type": 5}"#, "do not compile"),
        ("input_schema", #"{"properties": {"contract": {"pattern": "(?i)abc"}}}"#, "do not compile"),
        ("input_schema", #"{"properties": {"age": {"maximum": "150"}}}"#, "maximum must be a number"),
        ("input_schema", ##"{"properties": {"age": {"$ref": "#/$defs/missing"}}}"##, "resolves to nothing"),
        ("output_schema", #"{"properties": {"label": {"x-warden-redact": "shred"}}}"#, "must be one of drop, mask, hash"),
        ("output_schema", #"{"items": {"x-warden-redact": "drop"}}"#, "honoured only on a top-level property"),
        ("output_schema", #"{"properties": {"score": {"x-warden-redact": "drop"}}}"#, "'score', which is not an output"),
    ])
    func contractsThatDoNotCompileAreRefusedAtLoad(field: String, schema: String, reason: String) throws {
        let directory = try TestServer.churnDirectory { contract in
            contract[field] = try! JSONSerialization.jsonObject(with: Data(schema.utf8))
        }
        #expect {
            try ServedModel.load(directory: directory)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test(arguments: [
        (#"{"features": {"tenure": "stats:tenure"}}"#, "feature_store.entity: must name the entity"),
        (#"{"entity": "customer_id", "features": {}}"#, "must map inputs to feature references"),
        (#"{"entity": "customer_id", "features": {"tenure": "tenure"}}"#, "must be a reference 'feature_view:feature'"),
        (#"{"entity": "customer_id", "features": {"score": "stats:score"}}"#, "must name an input of shape [-1] or [-1, 1]"),
        (#"{"entity": "age", "features": {"tenure": "stats:tenure"}}"#, "must not be a model input"),
        (#"{"entity": "customer_id", "features": {"tenure": "stats:tenure"}, "defaults": {"age": 1}}"#, "is not a fetched input"),
    ])
    func featureStoreSectionsAreChecked(section: String, reason: String) throws {
        let directory = try TestServer.churnDirectory { contract in
            contract["feature_store"] = try! JSONSerialization.jsonObject(with: Data(section.utf8))
        }
        #expect {
            try ServedModel.load(directory: directory)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func aFeatureStoreChangesWhatARequestCarries() throws {
        let directory = try TestServer.churnDirectory { contract in
            contract["feature_store"] = ["entity": "customer_id", "features": ["tenure": "stats:tenure", "age": "stats:age"]]
            // The example's samples send every input; this contract's clients send the entity key.
            contract.removeValue(forKey: "samples")
        }
        let contract = try ServedModel.load(directory: directory).contract
        let names = contract.requestInputs.map(\.name)
        #expect(!names.contains("tenure") && !names.contains("age") && names.last == "customer_id")
        #expect(names.count == contract.inputs.count - 1)
    }

    @Test func recordsUseTheContractShapeAndShortestFloats() {
        let spec = TensorSpec(name: "x", datatype: .fp32, shape: [-1, 1])
        let wide = TensorSpec(name: "w", datatype: .fp32, shape: [-1, -1])
        let rows = TensorRecords.rows([
            (spec, .float([0.1, .nan], shape: [2, 1])), (wide, .float([1, 2.5], shape: [2, 1])),
        ])
        #expect(
            rows == [
                .object([("x", .number(0.1)), ("w", .array([.integer(1)]))]),
                .object([("x", .null), ("w", .array([.number(2.5)]))]),
            ])
        #expect(TensorRecords.rows([(spec, .float([1], shape: [1, 1])), (wide, .float([1, 2], shape: [2, 1]))]) == nil)
    }
}

extension JSONValue {
    var arrayValue: [JSONValue]? {
        if case let .array(items) = self { items } else { nil }
    }
}
