import Testing
import WardenONNX

@testable import WardenServing

/// Stages 4, 6 and 7: the contract around the engine, and the redactions after it.
@Suite struct ContractStageTests {
    @Test func anInputOutsideTheContractIsRefusedNamingWhereNotWhat() throws {
        let model = try ServingFixtures.churn()
        #expect(
            failure { () throws(ServingFailure) in try InputContractCheck().check(ServingFixtures.churnFeeds(), against: model.enforcement)
            } == nil)
        let refused = failure { () throws(ServingFailure) in
            try InputContractCheck().check(ServingFixtures.churnFeeds(rows: 2, tenure: -5), against: model.enforcement)
        }
        #expect(refused?.code == .contractViolation && refused?.status == 422)
        #expect(refused?.violations.map(\.pointer) == ["/0/tenure", "/1/tenure"])
        #expect(refused?.message.contains("-5") == false)
    }

    @Test func anAnswerOutsideTheOutputContractIsNotSent() throws {
        let directory = try ServingFixtures.churnDirectory { contract in
            var schema = contract["output_schema"] as? [String: Any] ?? [:]
            var properties = schema["properties"] as? [String: Any] ?? [:]
            properties["label"] = ["enum": [7]]
            schema["properties"] = properties
            contract["output_schema"] = schema
            contract["warmup"] = []
        }
        let model = try ServedModel.load(directory: directory)
        let results = try model.session.run(ServingFixtures.churnFeeds(), outputNames: ["label", "probabilities"])
        let refused = failure { () throws(ServingFailure) in try OutputContractCheck().check(results, against: model.enforcement) }
        #expect(refused?.code == .outputContractViolation && refused?.status == 500)
        #expect(refused?.violations.isEmpty == true && refused?.loggedViolations.map(\.keyword) == ["enum"])
    }

    @Test func redactionsApplyAndOnlyTheRequestedOutputsLeave() throws {
        let directory = try ServingFixtures.churnDirectory { contract in
            var schema = contract["output_schema"] as? [String: Any] ?? [:]
            var properties = schema["properties"] as? [String: Any] ?? [:]
            var probabilities = properties["probabilities"] as? [String: Any] ?? [:]
            probabilities["x-warden-redact"] = "drop"
            properties["probabilities"] = probabilities
            schema["properties"] = properties
            contract["output_schema"] = schema
        }
        let model = try ServedModel.load(directory: directory)
        let results = try model.session.run(ServingFixtures.churnFeeds(), outputNames: ["label", "probabilities"])
        let redaction = Redaction(redactor: .ephemeral())
        let both = redaction.apply(results, plan: model.enforcement.redactions, keeping: ["label", "probabilities"])
        #expect(Set(both.keys) == ["label"])
        #expect(redaction.apply(results, plan: model.enforcement.redactions, keeping: []).isEmpty)
    }
}

/// Stage 3: a feature-store model's entity keys become the looked-up features.
@Suite struct FeatureLookupTests {
    /// Answers every key with one constant per feature, as a feature proxy would.
    struct ConstantFeatures: FeatureSource {
        func inputs(
            for store: FeatureStoreContract, keys: [String], specs: [TensorSpec], deadline: ContinuousClock.Instant
        ) async throws(ServingFailure) -> [String: Value] {
            Dictionary(
                uniqueKeysWithValues: store.features.map { feature in
                    (feature.input, Value.tensor(.float(Array(repeating: 1, count: keys.count), shape: [keys.count, 1])))
                })
        }
    }

    @Test func aModelWithoutAStorePassesThrough() async throws {
        let model = try ServingFixtures.churn()
        let feeds = ServingFixtures.churnFeeds()
        let resolved = try await FeatureLookup(source: nil).resolve(feeds, for: model.contract, deadline: .now + .seconds(1))
        #expect(resolved.keys.sorted() == feeds.keys.sorted())
    }

    @Test func entityKeysMustBeOneStringPerRow() async throws {
        let directory = try ServingFixtures.churnDirectory { contract in
            contract["feature_store"] = ["entity": "customer_id", "features": ["age": "customer:age"]]
            contract["warmup"] = []
            contract["samples"] = []
        }
        let model = try ServedModel.load(directory: directory)
        let lookup = FeatureLookup(source: ConstantFeatures())
        let bad: [String: Value] = ["customer_id": .tensor(.int64([1], shape: [1, 1]))]
        let refused = await failure { () async throws(ServingFailure) in
            try await lookup.resolve(bad, for: model.contract, deadline: .now + .seconds(1))
        }
        #expect(refused?.code == .invalidEntityKeys)
        let keys: [String: Value] = ["customer_id": .tensor(.string(["c1", "c2"], shape: [2, 1]))]
        let resolved = try await lookup.resolve(keys, for: model.contract, deadline: .now + .seconds(1))
        #expect(resolved["customer_id"] == nil && resolved["age"] != nil)
        let none = await failure { () async throws(ServingFailure) in
            try await FeatureLookup(source: nil).resolve(keys, for: model.contract, deadline: .now + .seconds(1))
        }
        #expect(none?.code == .internalError)
    }
}
