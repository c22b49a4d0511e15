import Foundation
import Testing

@testable import WardenServer

/// The serve configurations shipped in deploy/ are read by the same strict reader `warden
/// serve` uses: a misspelt key there would stop every pod at startup.
@Suite struct DeployConfigurationTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func load(_ path: String) throws -> ServeConfiguration {
        try ServeConfiguration(contentsOfFile: repository.appendingPathComponent(path).path)
    }

    @Test func kubernetesServeConfigurationIsHardenedMutualTLS() throws {
        let configuration = try Self.load("deploy/kubernetes/base/config/serve.yaml")
        #expect(configuration.hardened && configuration.requireHardenedRuntime)
        #expect(configuration.tls?.privateKeyFile.hasPrefix("/vault/secrets/") == true)
        #expect(configuration.redactionKeyFile?.hasPrefix("/vault/secrets/") == true)
        #expect(configuration.revocation?.failClosedWhenStale == true)
        #expect(configuration.requestPolicy == nil && configuration.policyBundle?.failClosedWhenStale == true)
        #expect(configuration.policyBundle?.trustPolicyFile == configuration.revocation?.trustPolicyFile)
        #expect(configuration.policyBundle?.maxAge == .seconds(86400) && configuration.policyBundle?.interval == .seconds(5))
        #expect(configuration.models.map(\.directory) == ["/models/churn"])
        #expect(configuration.host == "0.0.0.0" && configuration.port == 8443 && configuration.probePort == 8081)
        try configuration.checkTransport()
        #expect(try configuration.secretsInEnvironment([:]).isEmpty)
    }

    @Test func composeServeConfigurationIsHardenedMutualTLS() throws {
        let configuration = try Self.load("deploy/compose/serve.yaml")
        #expect(configuration.hardened && configuration.requireHardenedRuntime)
        #expect(configuration.tls?.certificateFile == "/run/secrets/server.pem")
        try configuration.checkTransport()
    }
}
