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

    @Test func readsThePolicyBundleAndRefusesItsMistakes() throws {
        let configuration = try ServeConfiguration(
            yaml: """
                models: [{directory: /m}]
                policies:
                  bundle:
                    reference: registry.example.com/policies/serving:current
                    trust_policy: /etc/warden/trust.yaml
                    interval_seconds: 2
                    jitter: 0.1
                    max_age_seconds: 600
                    fail_closed_when_stale: false
                    minimum_revision: 40
                """)
        let bundle = try #require(configuration.policyBundle)
        #expect(bundle.reference == "registry.example.com/policies/serving:current" && bundle.trustPolicyFile == "/etc/warden/trust.yaml")
        #expect(bundle.interval == .seconds(2) && bundle.jitter == 0.1 && bundle.maxAge == .seconds(600))
        #expect(!bundle.failClosedWhenStale && bundle.minimumRevision == 40)
        for _ in 0..<50 { #expect((.milliseconds(1800)...(.seconds(2))).contains(bundle.nextWait())) }
        let base = "models: [{directory: /m}]\npolicies:\n  bundle: {reference: r.example/p:t, trust_policy: t.yaml"
        for (yaml, message) in [
            (base + ", interval_seconds: 0.5}", "at least 1"), (base + ", jitter: 0.9}", "0...0.5"),
            (base + ", max_age: 60}", "unknown key policies.bundle.max_age"),
            ("models: [{directory: /m}]\npolicies:\n  bundle: {reference: r.example/p:t}", "trust_policy is required"),
            (base + "}\n  request: {files: [k.rego]}", "give one"),
        ] {
            #expect("\(yaml)") { try ServeConfiguration(yaml: yaml) } throws: { "\($0)".contains(message) }
        }
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
