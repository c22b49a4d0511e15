import Testing

@testable import WardenServer

/// SPIFFE IDs as the specification defines them, and deny-by-default authorization.
@Suite struct IdentityTests {
    @Test(arguments: [
        "spiffe://prod.example/ns/serving/sa/gateway", "spiffe://prod.example", "spiffe://a-b.c_d/X.y-z_1",
    ])
    func validIDs(_ text: String) throws {
        #expect(try SPIFFEID(parsing: text).description == text)
    }

    @Test(arguments: [
        "https://prod.example/x", "spiffe://", "spiffe://Prod.example/x", "spiffe://prod.example:443/x", "spiffe://user@prod.example/x",
        "spiffe://prod.example/a/../b", "spiffe://prod.example/a/./b", "spiffe://prod.example/a//b", "spiffe://prod.example/a/",
        "spiffe://prod.example/a?b", "spiffe://prod.example/a#b", "spiffe://prod.example/a%2Fb", "SPIFFE://prod.example/a",
    ])
    func invalidIDs(_ text: String) {
        #expect(throws: IdentityError.self) { try SPIFFEID(parsing: text) }
    }

    @Test func patternsMatchWholeSegments() throws {
        let below = try IdentityPattern(parsing: "spiffe://prod.example/ns/gateway/*")
        #expect(below.matches(try SPIFFEID(parsing: "spiffe://prod.example/ns/gateway/sa/a")))
        #expect(!below.matches(try SPIFFEID(parsing: "spiffe://prod.example/ns/gateway-evil/sa/a")))
        #expect(!below.matches(try SPIFFEID(parsing: "spiffe://prod.example/ns/gateway")))
        #expect(!below.matches(try SPIFFEID(parsing: "spiffe://other.example/ns/gateway/sa/a")))
        let domain = try IdentityPattern(parsing: "spiffe://prod.example/*")
        #expect(domain.matches(try SPIFFEID(parsing: "spiffe://prod.example/anything")))
        // The trust domain's own ID (a SPIRE intermediate's) is not one of its workloads.
        #expect(!domain.matches(try SPIFFEID(parsing: "spiffe://prod.example")))
        let exact = try IdentityPattern(parsing: "spiffe://prod.example/ns/gateway")
        #expect(!exact.matches(try SPIFFEID(parsing: "spiffe://prod.example/ns/gateway/sa")))
    }

    @Test func authorizationDeniesByDefault() throws {
        let gateway = try SPIFFEID(parsing: "spiffe://prod.example/ns/gateway/sa/g")
        let scraper = try SPIFFEID(parsing: "spiffe://prod.example/ns/monitoring/sa/prometheus")
        let rules = Authorization(rules: [
            .init(
                routes: [.infer, .metadata], models: ["churn"], allow: [try IdentityPattern(parsing: "spiffe://prod.example/ns/gateway/*")]),
            .init(routes: [.metrics], allow: [try IdentityPattern(parsing: "spiffe://prod.example/ns/monitoring/sa/prometheus")]),
        ])
        #expect(rules.allows(gateway, route: "/v2/models/{model}/infer", model: "churn"))
        #expect(!rules.allows(gateway, route: "/v2/models/{model}/infer", model: "fraud"))
        #expect(!rules.allows(gateway, route: "/metrics", model: nil))
        #expect(rules.allows(scraper, route: "/metrics", model: nil))
        #expect(!rules.allows(scraper, route: "/v1/models/{model}:predict", model: "churn"))
        #expect(!Authorization(rules: []).allows(gateway, route: "/v2", model: nil))
    }
}
