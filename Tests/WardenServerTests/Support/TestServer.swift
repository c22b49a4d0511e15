import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import WardenJSON

@testable import WardenServer
@testable import WardenServing

/// Builds served models from the repository's example and fixtures, and a router around them.
enum TestServer {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var churnDirectory: String { root.appendingPathComponent("examples/churn").path }

    /// A directory holding only `model.onnx`, copied from a test fixture.
    static func bareModelDirectory(fixture: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let source = root.appendingPathComponent("Tests/WardenONNXTests/Fixtures/\(fixture).onnx")
        try FileManager.default.copyItem(at: source, to: directory.appendingPathComponent("model.onnx"))
        return directory.path
    }

    static func state(_ models: [ServedModel], warm: Bool = true) throws -> ServerState {
        if warm { for model in models { try model.warmUp() } }
        return ServerState(repository: try ModelRepository(models: models))
    }

    static func application(_ state: ServerState, limits: ServingLimits = ServingLimits()) throws -> some ApplicationProtocol {
        var configuration = ServeConfiguration()
        configuration.limits = limits
        let builder = try WardenServerBuilder(configuration: configuration, logger: Logger(label: "test"))
        return Application(router: builder.servingRouter(state: state))
    }

    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    static func parse(_ buffer: ByteBuffer) throws -> JSONValue { try JSONParser.parse(Array(buffer.readableBytesView)) }

    /// The example churn request with `rows` copies of one customer.
    static func churnRequest(rows: Int = 1, overrides: [String: String] = [:]) -> String {
        let inputs: [(String, String, String)] = [
            ("tenure", "INT64", "3"), ("monthly_charges", "FP32", "99.5"), ("total_charges", "FP32", "300"),
            ("support_calls", "INT64", "5"), ("num_services", "INT64", "6"), ("data_usage_gb", "FP32", "12"),
            ("days_since_login", "FP32", "40"), ("age", "FP32", "30"), ("contract", "BYTES", "\"month-to-month\""),
            ("payment", "BYTES", "\"check\""),
        ]
        let tensors = inputs.map { name, datatype, value in
            overrides[name]
                ?? "{\"name\":\"\(name)\",\"datatype\":\"\(datatype)\",\"shape\":[\(rows),1],\"data\":[\(Array(repeating: value, count: rows).joined(separator: ","))]}"
        }
        return "{\"id\":\"t1\",\"inputs\":[\(tensors.joined(separator: ","))]}"
    }
}

extension TestServer {
    /// A copy of the churn example whose contract is changed by `edit` (as a JSON object).
    static func churnDirectory(editingContract edit: (inout [String: Any]) -> Void) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let source = URL(fileURLWithPath: churnDirectory)
        try FileManager.default.copyItem(
            at: source.appendingPathComponent("model.onnx"), to: directory.appendingPathComponent("model.onnx"))
        let data = try Data(contentsOf: source.appendingPathComponent(ModelContract.fileName))
        guard var contract = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelLoadFailure("the example contract is not a JSON object")
        }
        edit(&contract)
        try JSONSerialization.data(withJSONObject: contract).write(to: directory.appendingPathComponent(ModelContract.fileName))
        return directory.path
    }
}
