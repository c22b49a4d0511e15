import WardenONNX

/// Where a feature-store model's inputs come from (the feature proxy, in the server).
package protocol FeatureSource: Sendable {
    /// The inputs for these entity keys, `[rows, 1]` each, by the deadline.
    func inputs(
        for store: FeatureStoreContract, keys: [String], specs: [TensorSpec], deadline: ContinuousClock.Instant
    ) async throws(ServingFailure) -> [String: Value]
}

/// Stage 3: for a model with a feature store, the request's entity keys replaced by the
/// features looked up for them; other models pass through.
package struct FeatureLookup: Sendable {
    package let source: (any FeatureSource)?

    package init(source: (any FeatureSource)?) { self.source = source }

    package func resolve(
        _ feeds: [String: Value], for contract: ModelContract, deadline: ContinuousClock.Instant
    ) async throws(ServingFailure) -> [String: Value] {
        guard let store = contract.featureStore else { return feeds }
        guard let source else { throw ServingFailure(.internalError, "internal error") }
        guard case let .tensor(keys)? = feeds[store.entity], case let .string(values) = keys.storage, keys.rank <= 2,
            keys.shape.dropFirst().allSatisfy({ $0 == 1 })
        else {
            throw ServingFailure.badRequest(.invalidEntityKeys, "input '\(store.entity)' must hold one string key per row")
        }
        var merged = feeds
        merged[store.entity] = nil
        let fetched = try await RequestPhase.run("features") { () async throws(ServingFailure) -> [String: Value] in
            try await source.inputs(for: store, keys: values, specs: contract.inputs, deadline: deadline)
        }
        merged.merge(fetched) { _, fetched in fetched }
        return merged
    }
}
