import Foundation
import Testing
import WardenJSON

@testable import WardenServer
@testable import WardenServing

/// One catalogue of refusal codes: docs/serving.md's error table and the OpenAPI document's
/// code enum must list exactly `ServingFailure.Code.allCases`, with the same statuses, so the
/// documentation cannot drift from the codes the server sends (it once listed a
/// `server_draining` that did not exist and left six real codes out).
@Suite struct ErrorCatalogueTests {
    static let root = TestServer.root

    static let grpcNames: [ServingFailure.GRPCStatusCode: String] = [
        .cancelled: "CANCELLED", .invalidArgument: "INVALID_ARGUMENT", .deadlineExceeded: "DEADLINE_EXCEEDED", .notFound: "NOT_FOUND",
        .permissionDenied: "PERMISSION_DENIED", .resourceExhausted: "RESOURCE_EXHAUSTED", .failedPrecondition: "FAILED_PRECONDITION",
        .unimplemented: "UNIMPLEMENTED", .internalError: "INTERNAL", .unavailable: "UNAVAILABLE",
    ]

    @Test func theServingDocsTableIsTheCatalogue() throws {
        let document = try String(contentsOf: Self.root.appendingPathComponent("docs/serving.md"), encoding: .utf8)
        guard let start = document.range(of: "## Errors"), let end = document.range(of: "## Lifecycle") else {
            Issue.record("docs/serving.md has no Errors section")
            return
        }
        let rows = document[start.upperBound..<end.lowerBound].split(separator: "\n").filter { $0.hasPrefix("| `") }.map { line in
            line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let documented = rows.map { "\($0[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))) \($0[1]) \($0[2])" }
        let catalogue = ServingFailure.Code.allCases.map { "\($0.rawValue) \($0.httpStatus) \(Self.grpcNames[$0.grpcStatus]!)" }
        #expect(documented == catalogue)
    }

    @Test func theOpenAPICodeEnumIsTheCatalogue() throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("Sources/WardenServer/OpenAPI/openapi.json"))
        let document = try JSONParser.parse(String(decoding: data, as: UTF8.self))
        guard case let .array(values)? = document["components"]?["schemas"]?["Problem"]?["properties"]?["code"]?["enum"] else {
            Issue.record("the Problem schema has no code enum")
            return
        }
        #expect(values == ServingFailure.Code.allCases.map { .string($0.rawValue) })
    }

    @Test func everyCodeHasATitleAndAnErrorStatus() {
        for code in ServingFailure.Code.allCases {
            #expect((400...599).contains(code.httpStatus))
            #expect(!code.title.isEmpty && code.title.first!.isUppercase)
        }
        #expect(Set(ServingFailure.Code.allCases.map(\.title)).count == ServingFailure.Code.allCases.count)
    }
}
