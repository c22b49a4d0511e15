import Testing
import WardenConfig

@testable import WardenServer
@testable import WardenServing

@Suite struct ServeConfigurationTests {
    @Test func readsEveryKey() throws {
        let configuration = try ServeConfiguration(
            yaml: """
                listen: {host: 0.0.0.0, port: 9000, probe_port: 9001}
                limits: {max_body_bytes: 1024, max_json_depth: 8, require_content_type: true}
                shutdown: {drain_delay_seconds: 2, drain_timeout_seconds: 10.5}
                logging: {level: debug}
                models:
                  - directory: /srv/model
                    name: churn
                    version: 2
                """)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 9000)
        #expect(configuration.probePort == 9001)
        #expect(configuration.limits.maxBodyBytes == 1024)
        #expect(configuration.limits.json.maxDepth == 8)
        #expect(configuration.limits.requireContentType)
        #expect(configuration.drainDelay == .seconds(2))
        #expect(configuration.drainTimeout == .milliseconds(10500))
        #expect(configuration.logLevel == "debug")
        #expect(configuration.models == [.init(directory: "/srv/model", name: "churn", version: "2")])
    }

    @Test func unknownKeysAreErrors() {
        #expect {
            try ServeConfiguration(yaml: "models: [{directory: /m}]\nlimits: {max_body_byte: 5}")
        } throws: { error in
            "\(error)" == "unknown key limits.max_body_byte"
        }
    }

    @Test func wrongTypesAreErrors() {
        #expect(throws: ConfigurationError.self) { try ServeConfiguration(yaml: "models: [{directory: /m}]\nlisten: {port: high}") }
        #expect(throws: ConfigurationError.self) { try ServeConfiguration(yaml: "models: []") }
        #expect(throws: ConfigurationError.self) { try ServeConfiguration(yaml: "- not a mapping") }
    }
}
