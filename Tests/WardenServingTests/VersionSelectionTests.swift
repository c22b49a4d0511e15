import Testing

@testable import WardenServing

/// Stage 1: one choice of version per request, the kill switch on that choice, and whether the
/// chosen version can answer.
@Suite struct VersionSelectionTests {
    static let asker = VersionSelection.Asker(
        client: "spiffe://warden.test/ns/serving/sa/c0", requestID: "r1", route: "infer", method: "POST")

    static func selection(_ models: [ServedModel], policy: RequestPolicy? = nil) throws -> VersionSelection {
        VersionSelection(repository: try ModelRepository(models: models), releases: nil, policy: policy, logger: ServingFixtures.logger)
    }

    @Test func unknownModelsAndVersionsAreNotFoundNamingOnlyWhatIsServed() throws {
        let selection = try Self.selection([try ServingFixtures.churn()])
        let model = failure { () throws(ServingFailure) in try selection.select(model: "fraud", pinned: nil, routed: nil, asker: Self.asker)
        }
        #expect(model?.code == .notFound && model?.message.contains("churn") == true && model?.message.contains("fraud") == false)
        let version = failure { () throws(ServingFailure) in
            try selection.select(model: "churn", pinned: "7", routed: nil, asker: Self.asker)
        }
        #expect(version?.code == .notFound && version?.message.contains("versions: 1") == true)
    }

    @Test func anUnversionedRequestGoesToTheHighestVersionThatServesAndSkipsARevokedOne() throws {
        let one = try ServingFixtures.churn(version: "1")
        let two = try ServingFixtures.churn(version: "2")
        let selection = try Self.selection([one, two])
        #expect(try selection.select(model: "churn", pinned: nil, routed: nil, asker: Self.asker).version == "2")
        #expect(two.revoke(reason: "CVE"))
        #expect(try selection.select(model: "churn", pinned: nil, routed: nil, asker: Self.asker).version == "1")
        let pinned = failure { () throws(ServingFailure) in
            try selection.select(model: "churn", pinned: "2", routed: nil, asker: Self.asker)
        }
        #expect(pinned?.code == .modelRevoked && pinned?.status == 503 && pinned?.retryAfterSeconds == 60)
    }

    @Test func aVersionStillLoadingIsNotReady() throws {
        let selection = try Self.selection([try ServingFixtures.churn(warm: false)])
        let refused = failure { () throws(ServingFailure) in
            try selection.select(model: "churn", pinned: nil, routed: nil, asker: Self.asker)
        }
        #expect(refused?.code == .modelNotReady)
    }

    @Test func theKillSwitchRefusesAClientAndSwitchesAVersionOff() throws {
        let policy = try ServingFixtures.policy(
            ServingFixtures.killSwitch, data: #"{"kill": {"versions": ["2"], "clients": ["spiffe://warden.test/ns/serving/sa/bad"]}}"#)
        let selection = try Self.selection(
            [try ServingFixtures.churn(version: "1"), try ServingFixtures.churn(version: "2")], policy: policy)
        // Unversioned: version 2 is switched off, so version 1 answers.
        #expect(try selection.select(model: "churn", pinned: nil, routed: nil, asker: Self.asker).version == "1")
        let pinned = failure { () throws(ServingFailure) in
            try selection.select(model: "churn", pinned: "2", routed: nil, asker: Self.asker)
        }
        #expect(pinned?.code == .versionDisabled && pinned?.status == 503)
        var bad = Self.asker
        bad.client = "spiffe://warden.test/ns/serving/sa/bad"
        let client = failure { () throws(ServingFailure) in try selection.select(model: "churn", pinned: "1", routed: nil, asker: bad) }
        #expect(client?.code == .policyDenied && client?.status == 403)
        // Metadata of a switched-off version still answers; a refused client is refused there too.
        var metadata = Self.asker
        metadata.route = "metadata"
        #expect(try selection.authorize(model: "churn", pinned: "2", routed: nil, asker: metadata) == "2")
        bad.route = "metadata"
        #expect(
            failure { () throws(ServingFailure) in try selection.authorize(model: "churn", pinned: "1", routed: nil, asker: bad) } != nil)
    }

    @Test func aVersionKilledForEveryoneIsDisabledAndNotReady() throws {
        let policy = try ServingFixtures.policy(ServingFixtures.killSwitch, data: #"{"kill": {"versions": ["1"], "clients": []}}"#)
        let model = try ServingFixtures.churn()
        let repository = try ModelRepository(models: [model])
        KillSwitchWatch(policy: policy, repository: repository, logger: ServingFixtures.logger).refresh()
        #expect(model.availability == .killed && !model.isReady)
        #expect(model.unavailableReason == "switched off by the request policy: version switched off")
        // Even with no policy on the path (as for a client the policy would allow), a killed version does not answer.
        let selection = VersionSelection(repository: repository, releases: nil, policy: nil, logger: ServingFixtures.logger)
        let refused = failure { () throws(ServingFailure) in
            try selection.select(model: "churn", pinned: "1", routed: nil, asker: Self.asker)
        }
        #expect(refused?.code == .versionDisabled)
    }

    @Test func aBrokenPolicyFailsClosed() throws {
        let policy = try ServingFixtures.policy(
            "package serving.request\nimport rego.v1\nallow if { 1 / 0 == 1 }", data: "{}")
        let selection = try Self.selection([try ServingFixtures.churn()], policy: policy)
        let refused = failure { () throws(ServingFailure) in
            try selection.select(model: "churn", pinned: nil, routed: nil, asker: Self.asker)
        }
        #expect(refused?.code == .policyDenied)
    }
}
