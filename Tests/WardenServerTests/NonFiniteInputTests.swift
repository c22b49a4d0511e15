import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WardenJSON

@testable import WardenServer
@testable import WardenServing

/// NaN and infinities in requests, as tritonclient's JSON mode sends them: NaN is a missing
/// value (null to the contract), an infinity is a number the contract's bounds judge, and a
/// number the declared type cannot hold is refused instead of becoming an infinity.
@Suite struct NonFiniteInputTests {
    static let churn: ServerState = {
        try! TestServer.state([try! ServedModel.load(directory: TestServer.churnDirectory)])
    }()
    static let headers: HTTPFields = [.contentType: "application/json"]

    static func lenientParse(_ buffer: ByteBuffer) throws -> JSONValue {
        var limits = JSONParser.Limits()
        limits.allowsNonFiniteNumbers = true
        return try JSONParser.parse(Array(buffer.readableBytesView), limits: limits)
    }

    /// The churn request with one input's single value replaced by `token` (raw JSON text).
    static func request(_ input: String, _ datatype: String, _ token: String) -> String {
        TestServer.churnRequest(overrides: [
            input: "{\"name\":\"\(input)\",\"datatype\":\"\(datatype)\",\"shape\":[1,1],\"data\":[\(token)]}"
        ])
    }

    static func send(_ body: String, check: @escaping @Sendable (TestResponse) throws -> Void) async throws {
        try await TestServer.application(Self.churn).test(.router) { client in
            try await client.execute(uri: "/v2/models/churn/infer", method: .post, headers: Self.headers, body: TestServer.json(body)) {
                try check($0)
            }
        }
    }

    @Test(arguments: ["NaN", "-NaN", "null"])
    func nanIsAMissingValueWhereTheContractAllowsNull(_ token: String) async throws {
        // monthly_charges is ["number", "null"]: the pipeline imputes it.
        try await Self.send(Self.request("monthly_charges", "FP32", token)) { response in
            #expect(response.status == .ok)
        }
    }

    @Test(arguments: ["Infinity", "Inf", "-Infinity", "-Inf"])
    func infinitiesAreNumbersTheBoundsJudge(_ token: String) async throws {
        try await Self.send(Self.request("monthly_charges", "FP32", token)) { response in
            #expect(response.status.code == 422)
            let problem = try TestServer.parse(response.body)
            let keyword = token.hasPrefix("-") ? "minimum" : "maximum"
            #expect(ContractTests.pointers(problem) == ["/0/monthly_charges \(keyword)"])
            // The message a client library shows names the first violation, never the value.
            #expect(
                problem["error"] == .string("the request does not satisfy the model's input contract: /0/monthly_charges fails \(keyword)"))
        }
    }

    @Test(arguments: ["3.5e38", "1e300", "-1e39"])
    func numbersBeyondTheDeclaredTypeAreRefused(_ token: String) async throws {
        try await Self.send(Self.request("monthly_charges", "FP32", token)) { response in
            #expect(response.status.code == 400)
            #expect(response.headers[.wardenErrorCode] == "invalid_data")
        }
    }

    @Test func largestFloatStillFits() async throws {
        let body = Self.request("monthly_charges", "FP32", "3.4028234e38")
        try await Self.send(body) { response in
            // It is a float, so the contract's maximum (100000) is what refuses it.
            #expect(response.status.code == 422)
        }
    }

    @Test(arguments: ["NaN", "Infinity", "-Inf"])
    func integerInputsRefuseNonFiniteValues(_ token: String) async throws {
        try await Self.send(Self.request("tenure", "INT64", token)) { response in
            #expect(response.status.code == 400)
            #expect(response.headers[.wardenErrorCode] == "invalid_data")
            let problem = try TestServer.parse(response.body)
            #expect(problem["error"] == .string("input 'tenure': INT64 data cannot hold NaN or infinities"))
        }
    }

    @Test func infinityInBinaryDataIsJudgedLikeJSON() async throws {
        // monthly_charges as one little-endian FP32 +inf in Triton's binary extension.
        let json = TestServer.churnRequest(overrides: [
            "monthly_charges":
                "{\"name\":\"monthly_charges\",\"datatype\":\"FP32\",\"shape\":[1,1],\"parameters\":{\"binary_data_size\":4}}"
        ])
        var buffer = ByteBuffer(string: json)
        buffer.writeInteger(Float.infinity.bitPattern, endianness: .little)
        let body = buffer
        let headers: HTTPFields = [.contentType: "application/octet-stream", .inferenceHeaderContentLength: String(json.utf8.count)]
        try await TestServer.application(Self.churn).test(.router) { client in
            try await client.execute(uri: "/v2/models/churn/infer", method: .post, headers: headers, body: body) { response in
                #expect(response.status.code == 422)
                let problem = try TestServer.parse(response.body)
                #expect(ContractTests.pointers(problem) == ["/0/monthly_charges maximum"])
            }
        }
    }

    @Test func kserveV1ReadsTheSameTokens() async throws {
        let row = "[3, NaN, 300, 5, 6, 12, 40, 30, \"month-to-month\", \"check\"]"
        try await TestServer.application(Self.churn).test(.router) { client in
            try await client.execute(
                uri: "/v1/models/churn:predict", method: .post, headers: Self.headers, body: TestServer.json("{\"instances\":[\(row)]}")
            ) { response in
                #expect(response.status == .ok)
            }
            let infinite = row.replacingOccurrences(of: "NaN", with: "Infinity")
            try await client.execute(
                uri: "/v1/models/churn:predict", method: .post, headers: Self.headers,
                body: TestServer.json("{\"instances\":[\(infinite)]}")
            ) { response in
                #expect(response.status.code == 422)
            }
        }
    }

    @Test func answersRoundTripThroughTheLenientParser() async throws {
        try await Self.send(Self.request("age", "FP32", "NaN")) { response in
            #expect(response.status == .ok)
            let answer = try Self.lenientParse(response.body)
            #expect(answer["outputs"] != nil)
        }
    }
}
