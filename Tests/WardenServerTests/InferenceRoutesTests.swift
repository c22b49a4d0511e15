import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WardenJSON

@testable import WardenServer
@testable import WardenServing

@Suite struct InferenceRoutesTests {
    static let churn: ServerState = {
        try! TestServer.state([try! ServedModel.load(directory: TestServer.churnDirectory)])
    }()

    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    @Test func inferWithJSON() async throws {
        try await TestServer.application(Self.churn).test(.router) { client in
            try await client.execute(
                uri: "/v2/models/churn/infer", method: .post, headers: Self.jsonHeaders,
                body: TestServer.json(TestServer.churnRequest(rows: 2))
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.wardenModel] == "churn")
                #expect(response.headers[.wardenModelVersion] == "1")
                let body = try TestServer.parse(response.body)
                #expect(body["id"] == .string("t1"))
                #expect(body["model_name"] == .string("churn"))
                guard case let .array(outputs)? = body["outputs"] else { Issue.record("no outputs"); return }
                #expect(outputs.count == 2)
                #expect(outputs[0]["name"] == .string("label"))
                #expect(outputs[0]["shape"] == .array([.integer(2)]))
                #expect(outputs[1]["shape"] == .array([.integer(2), .integer(2)]))
            }
        }
    }

    @Test func inferWithBinaryDataInAndOut() async throws {
        // Same request, tenure sent as little-endian INT32 binary data (widened to the model's INT64),
        // probabilities asked back in binary.
        let tenure = "{\"name\":\"tenure\",\"datatype\":\"INT32\",\"shape\":[1,1],\"parameters\":{\"binary_data_size\":4}}"
        var header = TestServer.churnRequest(overrides: ["tenure": tenure])
        header.removeLast()
        header += ",\"outputs\":[{\"name\":\"probabilities\",\"parameters\":{\"binary_data\":true}}]}"
        let body = Array(header.utf8) + [3, 0, 0, 0]
        let headers: HTTPFields = [.contentType: "application/octet-stream", .inferenceHeaderContentLength: String(header.utf8.count)]
        try await TestServer.application(Self.churn).test(.router) { client in
            let json = try await client.execute(
                uri: "/v2/models/churn/infer", method: .post, headers: Self.jsonHeaders, body: TestServer.json(TestServer.churnRequest())
            ) { try TestServer.parse($0.body) }
            try await client.execute(uri: "/v2/models/churn/infer", method: .post, headers: headers, body: ByteBuffer(bytes: body)) {
                response in
                #expect(response.status == .ok)
                let length = try #require(response.headers[.inferenceHeaderContentLength].flatMap(Int.init))
                let bytes = Array(response.body.readableBytesView)
                let head = try JSONParser.parse(bytes[..<length])
                guard case let .array(outputs)? = head["outputs"] else { Issue.record("no outputs"); return }
                #expect(outputs.count == 1)
                #expect(outputs[0]["parameters"]?["binary_data_size"] == .integer(8))
                let data = Array(bytes[length...])
                let probabilities = (0..<2).map { i in
                    Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[i * 4 + $1]) << (8 * UInt32($1)) })
                }
                guard case let .array(jsonOutputs)? = json["outputs"], case let .array(expected)? = jsonOutputs[1]["data"] else {
                    Issue.record("no JSON probabilities")
                    return
                }
                for (got, want) in zip(probabilities, expected) {
                    guard case let .number(w) = want else { continue }
                    #expect(abs(Double(got) - w) < 1e-6)
                }
            }
        }
    }

    @Test func refusalsAreStandardProblems() async throws {
        let cases: [(String, String, Int, String)] = [
            (
                "datatype",
                TestServer.churnRequest(overrides: ["age": "{\"name\":\"age\",\"datatype\":\"INT64\",\"shape\":[1,1],\"data\":[30]}"]), 400,
                "datatype_mismatch"
            ),
            (
                "shape",
                TestServer.churnRequest(overrides: ["age": "{\"name\":\"age\",\"datatype\":\"FP32\",\"shape\":[1,2],\"data\":[30,31]}"]),
                400, "shape_mismatch"
            ),
            (
                "count",
                TestServer.churnRequest(overrides: ["age": "{\"name\":\"age\",\"datatype\":\"FP32\",\"shape\":[2,1],\"data\":[30]}"]), 400,
                "element_count_mismatch"
            ),
            (
                "missing",
                TestServer.churnRequest(overrides: ["age": "{\"name\":\"tenure\",\"datatype\":\"INT64\",\"shape\":[1,1],\"data\":[3]}"]),
                400, "duplicate_input"
            ),
            (
                "unknown",
                TestServer.churnRequest(overrides: [
                    "age": "{\"name\":\"secret_marker_9f3\",\"datatype\":\"FP32\",\"shape\":[1,1],\"data\":[1]}"
                ]), 400, "unknown_input"
            ),
            ("json", "{\"inputs\": [secret_marker_9f3", 400, "invalid_json"),
            ("not object", "[1,2,3]", 400, "invalid_request"),
        ]
        try await TestServer.application(Self.churn).test(.router) { client in
            for (label, body, status, code) in cases {
                try await client.execute(
                    uri: "/v2/models/churn/infer", method: .post, headers: Self.jsonHeaders, body: TestServer.json(body)
                ) { response in
                    #expect(response.status.code == status, "\(label)")
                    #expect(response.headers[.contentType] == "application/json", "\(label)")
                    #expect(response.headers[.wardenErrorCode] == code, "\(label)")
                    let text = String(buffer: response.body)
                    #expect(!text.contains("secret_marker_9f3"), "\(label): the error echoes request data")
                    let problem = try TestServer.parse(response.body)
                    #expect(problem["code"] == .string(code), "\(label)")
                    #expect(problem["status"] == .integer(Int64(status)), "\(label)")
                    if case .string? = problem["error"] {} else { Issue.record("\(label): no OIP error field") }
                    if case .string? = problem["request_id"] {} else { Issue.record("\(label): no request id") }
                }
            }
        }
    }

    @Test func contentTypeAndSizeAreEnforced() async throws {
        var limits = ServingLimits()
        limits.maxBodyBytes = 2048
        try await TestServer.application(Self.churn, limits: limits).test(.router) { client in
            try await client.execute(
                uri: "/v2/models/churn/infer", method: .post, headers: [.contentType: "text/plain"],
                body: TestServer.json(TestServer.churnRequest())
            ) { #expect($0.status.code == 415) }
            try await client.execute(
                uri: "/v2/models/churn/infer", method: .post, headers: [.contentType: "application/json", .contentEncoding: "gzip"],
                body: TestServer.json(TestServer.churnRequest())
            ) { #expect($0.status.code == 415) }
            try await client.execute(
                uri: "/v2/models/churn/infer", method: .post, headers: Self.jsonHeaders,
                body: TestServer.json(TestServer.churnRequest(rows: 200))
            ) { response in
                #expect(response.status.code == 413)
                #expect(response.headers[.wardenErrorCode] == "payload_too_large")
            }
            // tritonclient sends no Content-Type: accepted as JSON by default.
            try await client.execute(uri: "/v2/models/churn/infer", method: .post, body: TestServer.json(TestServer.churnRequest())) {
                #expect($0.status == .ok)
            }
        }
        limits.requireContentType = true
        try await TestServer.application(Self.churn, limits: limits).test(.router) { client in
            try await client.execute(uri: "/v2/models/churn/infer", method: .post, body: TestServer.json(TestServer.churnRequest())) {
                #expect($0.status.code == 415)
            }
        }
    }

    @Test func notReadyAnswers503AndDrainingTurnsReadinessOff() async throws {
        let cold = try TestServer.state([try ServedModel.load(directory: TestServer.churnDirectory)], warm: false)
        try await TestServer.application(cold).test(.router) { client in
            try await client.execute(
                uri: "/v2/models/churn/infer", method: .post, headers: Self.jsonHeaders, body: TestServer.json(TestServer.churnRequest())
            ) { response in
                #expect(response.status.code == 503)
                #expect(response.headers[.retryAfter] != nil)
            }
            try await client.execute(uri: "/v2/health/ready", method: .get) { #expect($0.status.code == 503) }
            try await client.execute(uri: "/v2/models/churn/ready", method: .get) { #expect($0.status.code == 503) }
            try await client.execute(uri: "/v2/health/live", method: .get) { #expect($0.status == .ok) }
        }
        let draining = try TestServer.state([try ServedModel.load(directory: TestServer.churnDirectory)])
        draining.beginDraining()
        try await TestServer.application(draining).test(.router) { client in
            try await client.execute(uri: "/v2/health/ready", method: .get) { #expect($0.status.code == 503) }
            try await client.execute(
                uri: "/v2/models/churn/infer", method: .post, headers: Self.jsonHeaders, body: TestServer.json(TestServer.churnRequest())
            ) {
                // Requests still arriving while draining are answered; readiness steers traffic away.
                #expect($0.status == .ok)
            }
        }
    }

    @Test func unknownModelsVersionsAndRoutes() async throws {
        try await TestServer.application(Self.churn).test(.router) { client in
            try await client.execute(uri: "/v2/models/nope/infer", method: .post, headers: Self.jsonHeaders, body: TestServer.json("{}")) {
                #expect($0.status.code == 404)
            }
            try await client.execute(
                uri: "/v2/models/churn/versions/7/infer", method: .post, headers: Self.jsonHeaders, body: TestServer.json("{}")
            ) {
                #expect($0.status.code == 404)
            }
            try await client.execute(
                uri: "/v2/models/churn/versions/1/infer", method: .post, headers: Self.jsonHeaders,
                body: TestServer.json(TestServer.churnRequest())
            ) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v3/anything", method: .get, headers: [.accept: "application/problem+json"]) { response in
                #expect(response.status.code == 404)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            try await client.execute(uri: "/v2/models/churn/infer", method: .get) { response in
                #expect(response.status.code == 405)
                #expect(response.headers[.allow] == "POST")
                #expect(response.headers[.wardenErrorCode] == "method_not_allowed")
            }
        }
    }

    @Test func kserveV1Predict() async throws {
        let forest = try TestServer.state([
            try ServedModel.load(directory: try TestServer.bareModelDirectory(fixture: "random_forest"), name: "forest")
        ])
        try await TestServer.application(forest).test(.router) { client in
            try await client.execute(
                uri: "/v1/models/forest:predict", method: .post, headers: Self.jsonHeaders,
                body: TestServer.json("{\"instances\":[[1,2,3,4,5,6,7,8],[8,7,6,5,4,3,2,1]]}")
            ) { response in
                #expect(response.status == .ok)
                let body = try TestServer.parse(response.body)
                guard case let .array(predictions)? = body["predictions"] else { Issue.record("no predictions"); return }
                #expect(predictions.count == 2)
                if case .integer? = predictions[0]["label"] {} else { Issue.record("label is not an integer") }
            }
            try await client.execute(uri: "/v1/models/forest", method: .get) { response in
                let body = try TestServer.parse(response.body)
                #expect(body["ready"] == .bool(true))
            }
        }
        try await TestServer.application(Self.churn).test(.router) { client in
            let instance =
                "{\"tenure\":3,\"monthly_charges\":99.5,\"total_charges\":300,\"support_calls\":5,\"num_services\":6,\"data_usage_gb\":12,\"days_since_login\":40,\"age\":30,\"contract\":\"month-to-month\",\"payment\":\"check\"}"
            try await client.execute(
                uri: "/v1/models/churn:predict", method: .post, headers: Self.jsonHeaders,
                body: TestServer.json("{\"instances\":[\(instance)]}")
            ) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func metadataDescribesTheContract() async throws {
        try await TestServer.application(Self.churn).test(.router) { client in
            try await client.execute(uri: "/v2/models/churn", method: .get) { response in
                let body = try TestServer.parse(response.body)
                #expect(body["name"] == .string("churn"))
                #expect(body["versions"] == .array([.string("1")]))
                guard case let .array(inputs)? = body["inputs"] else { Issue.record("no inputs"); return }
                #expect(inputs.count == 10)
                #expect(inputs[0]["datatype"] == .string("INT64"))
            }
            try await client.execute(uri: "/v2", method: .get) { response in
                let body = try TestServer.parse(response.body)
                #expect(body["name"] == .string("warden"))
            }
        }
    }
}
