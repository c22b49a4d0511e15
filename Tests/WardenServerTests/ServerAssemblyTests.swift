import Foundation
import Logging
import Testing

@testable import WardenServer
@testable import WardenServing

/// `ServerAssembly.make`: the configuration in, the server out; each failure names its step,
/// which is the startup event `warden serve` logs.
@Suite struct ServerAssemblyTests {
    static func configuration(_ edit: (inout ServeConfiguration) throws -> Void = { _ in }) rethrows -> ServeConfiguration {
        var configuration = ServeConfiguration()
        configuration.insecurePlaintext = true
        configuration.models = [ModelSource(directory: TestServer.churnDirectory)]
        try edit(&configuration)
        return configuration
    }

    static func step(_ configuration: ServeConfiguration) async -> ServerAssembly.Failure.Step? {
        do {
            _ = try await ServerAssembly.make(configuration: configuration, logger: Logger(label: "test"))
            return nil
        } catch {
            return error.step
        }
    }

    @Test func aGoodConfigurationMakesTheServer() async throws {
        let server = try await ServerAssembly.make(configuration: Self.configuration(), logger: Logger(label: "test"))
        #expect(server.state.repository.models.map(\.name) == ["churn"])
        #expect(server.state.releases != nil)
    }

    @Test func eachFailureNamesItsStep() async throws {
        #expect(await Self.step(Self.configuration { $0.models = [ModelSource(directory: "/nonexistent/model")] }) == .models)
        #expect(await Self.step(Self.configuration { $0.releases = [ReleasePlan(model: "churn", stable: "9")] }) == .releases)
        let policy = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).rego")
        try "package serving.request\nallow if {".write(to: policy, atomically: true, encoding: .utf8)
        #expect(await Self.step(Self.configuration { $0.requestPolicy = RequestPolicySource(files: [policy.path]) }) == .requestPolicy)
        #expect(ServerAssembly.Failure.Step.models.rawValue == "model_load_failed")
    }
}
