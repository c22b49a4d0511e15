import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WardenJSON
import WardenONNX
import WardenTrust

@testable import WardenServer
@testable import WardenServing

/// What a server serves (the index in Warden's, Triton's and KServe v1's shapes) and Triton's
/// statistics for each version.
@Suite struct RepositoryRoutesTests {
    static func twoModels() throws -> ServerState {
        let churn = try ServedModel.load(
            directory: TestServer.churnDirectory, digest: SHA256Digest(parsing: "sha256:" + String(repeating: "a", count: 64)))
        let forest = try ServedModel.load(directory: try TestServer.bareModelDirectory(fixture: "random_forest"), name: "forest")
        let unready = try ServedModel.load(
            directory: try TestServer.bareModelDirectory(fixture: "random_forest"), name: "forest", version: "2")
        try churn.warmUp()
        try forest.warmUp()
        return ServerState(repository: try ModelRepository(models: [unready, forest, churn]))
    }

    @Test func indexesListEveryVersionWithItsState() async throws {
        try await TestServer.application(try Self.twoModels()).test(.router) { client in
            try await client.execute(uri: "/v2/models", method: .get) { response in
                #expect(response.status == .ok)
                let body = try TestServer.parse(response.body)
                let expected = try JSONParser.parse(
                    """
                    {"models": [
                      {"name": "churn", "versions": [{"version": "1", "state": "READY", "availability": "ready", "reason": "", "digest": "sha256:\(String(repeating: "a", count: 64))"}]},
                      {"name": "forest", "versions": [
                        {"version": "1", "state": "READY", "availability": "ready", "reason": "", "digest": null},
                        {"version": "2", "state": "UNAVAILABLE", "availability": "loading", "reason": "loading", "digest": null}]}
                    ]}
                    """)
                #expect(body == expected)
            }
            try await client.execute(uri: "/v2/repository/index", method: .post, body: TestServer.json("{\"ready\": true}")) { response in
                let body = try TestServer.parse(response.body)
                guard case let .array(entries) = body else { Issue.record("not an array"); return }
                #expect(entries.map { $0["name"] } == [.string("churn"), .string("forest")])
                #expect(entries.allSatisfy { $0["state"] == .string("READY") && $0["reason"] == .string("") })
            }
            try await client.execute(uri: "/v2/repository/index", method: .post) { response in
                guard case let .array(entries) = try TestServer.parse(response.body) else { Issue.record("not an array"); return }
                #expect(entries.count == 3 && entries[2]["state"] == .string("UNAVAILABLE"))
            }
            try await client.execute(uri: "/v2/repository/index", method: .post, body: TestServer.json("{\"ready\": 1}")) { response in
                #expect(response.status.code == 400)
            }
            try await client.execute(uri: "/v1/models", method: .get) { response in
                let body = try TestServer.parse(response.body)
                #expect(body == .object([("models", .array([.string("churn"), .string("forest")]))]))
            }
            try await client.execute(uri: "/v2/models", method: .delete) { response in
                #expect(response.status.code == 405)
            }
        }
    }

    @Test func statisticsCountSuccessesFailuresAndStages() async throws {
        let state = try TestServer.state([try ServedModel.load(directory: TestServer.churnDirectory)])
        let headers: HTTPFields = [.contentType: "application/json"]
        try await TestServer.application(state).test(.router) { client in
            for _ in 0..<3 {
                try await client.execute(
                    uri: "/v2/models/churn/infer", method: .post, headers: headers, body: TestServer.json(TestServer.churnRequest(rows: 4))
                ) { #expect($0.status == .ok) }
            }
            let bad = TestServer.churnRequest(overrides: [
                "tenure": "{\"name\":\"tenure\",\"datatype\":\"INT64\",\"shape\":[1,1],\"data\":[-1]}"
            ])
            try await client.execute(uri: "/v2/models/churn/infer", method: .post, headers: headers, body: TestServer.json(bad)) {
                #expect($0.status.code == 422)
            }
            for uri in ["/v2/models/churn/stats", "/v2/models/churn/versions/1/stats", "/v2/models/stats"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok)
                    guard case let .array(models)? = try TestServer.parse(response.body)["model_stats"], let stats = models.first else {
                        Issue.record("no model_stats")
                        return
                    }
                    #expect(models.count == 1 && stats["name"] == .string("churn") && stats["version"] == .string("1"))
                    #expect(stats["inference_count"] == .integer(12) && stats["execution_count"] == .integer(3))
                    let inference = stats["inference_stats"]
                    #expect(inference?["success"]?["count"] == .integer(3) && inference?["fail"]?["count"] == .integer(1))
                    for stage in ["queue", "compute_input", "compute_infer", "compute_output"] {
                        #expect(inference?[stage]?["count"] == .integer(3), "\(stage)")
                    }
                    guard case let .integer(total)? = inference?["success"]?["ns"],
                        case let .integer(engine)? = inference?["compute_infer"]?["ns"]
                    else { Issue.record("no durations"); return }
                    #expect(total > 0 && engine > 0 && engine < total)
                    guard case let .integer(last)? = stats["last_inference"] else { Issue.record("no last_inference"); return }
                    #expect(abs(Double(last) / 1000 - Date().timeIntervalSince1970) < 60)
                }
            }
            try await client.execute(uri: "/v2/models/nothing/stats", method: .get) { #expect($0.status.code == 404) }
            try await client.execute(uri: "/v2/models/churn/versions/9/stats", method: .get) { #expect($0.status.code == 404) }
        }
    }
}

/// `warden contract init`: the derived contract loads, and with rows it carries bounds, a
/// warm-up batch and a sample the model answers as recorded.
@Suite struct ContractScaffoldTests {
    @Test func scaffoldFromRowsIsAContractTheModelPasses() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: TestServer.churnDirectory + "/model.onnx"))
        let session = try InferenceSession(modelBytes: Array(bytes))
        var limits = JSONParser.Limits()
        limits.allowsNonFiniteNumbers = true
        let rows = try JSONParser.parse(
            """
            [{"tenure": 3, "monthly_charges": 99.5, "total_charges": NaN, "support_calls": 5, "num_services": 6, "data_usage_gb": 12,
              "days_since_login": 40, "age": 30, "contract": "month-to-month", "payment": "check"},
             {"tenure": 40, "monthly_charges": 20.25, "total_charges": 810, "support_calls": 0, "num_services": 2, "data_usage_gb": 1.5,
              "days_since_login": 2, "age": 61, "contract": "two-year", "payment": "card"}]
            """, limits: limits)
        guard case let .array(records) = rows else { Issue.record("not rows"); return }
        let document = try ContractScaffold.contract(for: session, name: "churn", rows: records)
        let schema = document["input_schema"]?["properties"]
        #expect(schema?["tenure"] == .object([("type", .string("integer")), ("minimum", .integer(3)), ("maximum", .integer(40))]))
        #expect(schema?["total_charges"]?["type"] == .array([.string("number"), .string("null")]))
        #expect(schema?["contract"] == .object([("type", .string("string"))]))
        // ZipMap-free churn: probabilities get their class count from a run.
        guard case let .array(outputs)? = document["outputs"] else { Issue.record("no outputs"); return }
        #expect(outputs.contains { $0["name"] == .string("probabilities") && $0["shape"] == .array([.integer(-1), .integer(2)]) })

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-scaffold-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try bytes.write(to: directory.appendingPathComponent("model.onnx"))
        try Data(document.prettyPrinted().utf8).write(to: directory.appendingPathComponent(ModelContract.fileName))
        #expect(ContractCheck.problems(directory: directory.path) == [])
        // A sample whose recorded answer differs is a problem the check names.
        let changed = document.prettyPrinted().replacingOccurrences(
            of: "\"sample-rows\"", with: "\"sample-rows\", \"tolerance\": {\"absolute\": -1}")
        try Data(changed.utf8).write(to: directory.appendingPathComponent(ModelContract.fileName))
        #expect(ContractCheck.problems(directory: directory.path).first?.contains("samples[0].tolerance.absolute") == true)
    }

    @Test func bareScaffoldLoadsAsAContract() throws {
        let directory = try TestServer.bareModelDirectory(fixture: "logreg_multiclass_zipmap")
        let session = try InferenceSession(modelBytes: Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/model.onnx"))))
        let document = try ContractScaffold.contract(for: session, name: "zipmap")
        let contract = try ModelContract(json: try JSONParser.parse(document.prettyPrinted()))
        #expect(contract.problems(against: session) == [])
        // The ZipMap output is spelt out as its score matrix, with the class count.
        #expect(contract.outputs.contains { $0.datatype == .fp32 && $0.shape.count == 2 && $0.shape[1] > 1 })
    }
}
