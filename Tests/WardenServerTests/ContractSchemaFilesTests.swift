import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import WardenJSON

@testable import WardenServer
@testable import WardenServing

/// `schema_files`: contract schemas split into files of the signed artifact, resolved from the
/// artifact alone; and the dialect a contract schema's `$schema` picks.
@Suite struct ContractSchemaFilesTests {
    static let customer = #"""
        {"$id": "https://contracts.example/customer.json",
         "$defs": {"tenure": {"type": "integer", "minimum": 0, "maximum": 100},
                   "plan": {"enum": ["month-to-month", "one-year", "two-year", "unknown-contract"]}}}
        """#

    /// The example churn artifact, its `tenure` and `contract` checked by definitions in
    /// `files` (path to text), listed as `listed`.
    static func artifact(files: [String: String], listed: [String], tenure: String, contract: String) throws -> String {
        let directory = try TestServer.churnDirectory { document in
            var schema = document["input_schema"] as! [String: Any]
            var properties = schema["properties"] as! [String: Any]
            properties["tenure"] = ["$ref": tenure]
            properties["contract"] = ["$ref": contract]
            schema["properties"] = properties
            document["input_schema"] = schema
            document["schema_files"] = listed
        }
        for (path, text) in files {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return directory
    }

    @Test func relativeAndIDReferencesResolveFromTheArtifact() async throws {
        let directory = try Self.artifact(
            files: ["schemas/customer.json": Self.customer], listed: ["schemas/customer.json"],
            tenure: "schemas/customer.json#/$defs/tenure", contract: "https://contracts.example/customer.json#/$defs/plan")
        let state = try TestServer.state([try ServedModel.load(directory: directory)])
        let headers: HTTPFields = [.contentType: "application/json"]
        try await TestServer.application(state).test(.router) { client in
            let good = TestServer.churnRequest()
            try await client.execute(uri: "/v2/models/churn/infer", method: .post, headers: headers, body: TestServer.json(good)) {
                #expect($0.status.code == 200)
            }
            // 500 months is inside the inline schema (1200) but outside the file's (100).
            let bad = TestServer.churnRequest(overrides: [
                "tenure": ContractTests.tensor("tenure", "INT64", ["500"]),
                "contract": ContractTests.tensor("contract", "BYTES", ["\"weekly\""]),
            ])
            try await client.execute(uri: "/v2/models/churn/infer", method: .post, headers: headers, body: TestServer.json(bad)) {
                #expect($0.status.code == 422)
                let problem = try TestServer.parse($0.body)
                #expect(ContractTests.pointers(problem) == ["/0/tenure maximum", "/0/contract enum"])
            }
        }
    }

    @Test(arguments: [
        (["../customer.json"], [String: String](), "must be a .json file's path inside the artifact"),
        (["/etc/customer.json"], [:], "must be a .json file's path inside the artifact"),
        (["schemas/customer.json", "schemas/customer.json"], ["schemas/customer.json": customer], "listed twice"),
        (["schemas/customer.json"], [:], "is not a regular file"),
        (["schemas/customer.json"], ["schemas/customer.json": "{not json"], "is not JSON"),
        ([], ["schemas/customer.json": customer], "resolves to nothing"),
        (
            ["schemas/customer.json"],
            ["schemas/customer.json": #"{"$schema": "http://json-schema.org/draft-04/schema#", "$defs": {"tenure": {}, "plan": {}}}"#],
            "names no dialect Warden knows"
        ),
    ])
    func badSchemaFilesRefuseTheModel(listed: [String], files: [String: String], reason: String) throws {
        let directory = try Self.artifact(
            files: files, listed: listed, tenure: "schemas/customer.json#/$defs/tenure", contract: "schemas/customer.json#/$defs/plan")
        #expect {
            try ServedModel.load(directory: directory)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func aLinkOutOfTheArtifactIsRefused() throws {
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("warden-outside-\(UUID().uuidString).json")
        try Data(Self.customer.utf8).write(to: outside)
        let directory = try Self.artifact(
            files: [:], listed: ["customer.json"], tenure: "customer.json#/$defs/tenure", contract: "customer.json#/$defs/plan")
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/customer.json", withDestinationPath: outside.path)
        #expect {
            try ServedModel.load(directory: directory)
        } throws: { error in
            "\(error)".contains("is not a regular file")
        }
    }

    @Test func aDraft07ContractSchemaIsCheckedAsDraft07() async throws {
        // Under draft-07, `$ref` hides its sibling `not`; under 2020-12 both apply.
        for (dialect, expected) in [
            ("http://json-schema.org/draft-07/schema#", 200), ("https://json-schema.org/draft/2020-12/schema", 422),
        ] {
            let directory = try TestServer.churnDirectory { contract in
                var schema = contract["input_schema"] as! [String: Any]
                schema["$schema"] = dialect
                schema["definitions"] = ["months": ["type": "integer"]]
                var properties = schema["properties"] as! [String: Any]
                properties["tenure"] = ["$ref": "#/definitions/months", "not": ["const": 777]]
                schema["properties"] = properties
                contract["input_schema"] = schema
            }
            let state = try TestServer.state([try ServedModel.load(directory: directory)])
            try await TestServer.application(state).test(.router) { client in
                let body = TestServer.churnRequest(overrides: ["tenure": ContractTests.tensor("tenure", "INT64", ["777"])])
                try await client.execute(
                    uri: "/v2/models/churn/infer", method: .post, headers: [.contentType: "application/json"], body: TestServer.json(body)
                ) { #expect($0.status.code == expected, "\(dialect)") }
            }
        }
    }
}
