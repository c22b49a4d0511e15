import WardenJSON

/// The contract's `feature_store` section: inputs the model gets from a feature store instead
/// of from the client. The client sends the entity key (one per row); Warden looks the features
/// up through the Feature Retrieval Proxy (Feast's online-features API) before the contract
/// checks and the engine see the request.
///
///     "feature_store": {
///       "entity": "customer_id",
///       "features": {"tenure": "customer_stats:tenure", "age": "customer_stats:age"},
///       "defaults": {"tenure": 0, "age": null}
///     }
public struct FeatureStoreContract: Sendable, Equatable {
    /// The entity's name in the store and the request input that carries its keys.
    public let entity: String
    /// Model input name → feature reference (`feature_view:feature`).
    public let features: [(input: String, reference: String)]
    /// Values used per input when the proxy is unavailable and the server falls back.
    public let defaults: [String: JSONValue]

    public static func == (a: Self, b: Self) -> Bool {
        a.entity == b.entity && a.features.elementsEqual(b.features, by: { $0 == $1 }) && a.defaults == b.defaults
    }

    /// The keys of `feature_store`.
    public static let keys = ["entity", "features", "defaults"]

    package init(json: JSONValue, inputs: [TensorSpec]) throws {
        let fields = try ContractFields(json, at: "feature_store", keys: Self.keys)
        guard let entity = try fields.string("entity"), !entity.isEmpty else {
            throw fields.error("entity", "must name the entity (a non-empty string)")
        }
        guard case let .object(members)? = fields["features"], !members.isEmpty else {
            throw fields.error("features", "must map inputs to feature references")
        }
        features = try members.map { member in
            guard case let .string(reference) = member.value, reference.split(separator: ":").count == 2 else {
                throw ContractError("feature_store.features.\(member.key) must be a reference 'feature_view:feature'")
            }
            guard let spec = inputs.first(where: { $0.name == member.key }), spec.shape.count <= 2,
                spec.shape.dropFirst().allSatisfy({ $0 == 1 })
            else {
                throw ContractError("feature_store.features.\(member.key) must name an input of shape [-1] or [-1, 1]")
            }
            return (member.key, reference)
        }
        guard !inputs.contains(where: { $0.name == entity }) else {
            throw ContractError("feature_store.entity '\(entity)' must not be a model input")
        }
        switch json["defaults"] {
        case nil: defaults = [:]
        case let .object(values)?:
            for name in values.map(\.key) where !features.contains(where: { $0.input == name }) {
                throw ContractError("feature_store.defaults.\(name) is not a fetched input")
            }
            defaults = Dictionary(values.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        default: throw ContractError("feature_store.defaults must be an object")
        }
        self.entity = entity
    }

    /// The entity key input of a request: one key (string or integer) per row.
    package var entitySpec: TensorSpec { TensorSpec(name: entity, datatype: .bytes, shape: [-1]) }

    package func isFetched(_ input: String) -> Bool { features.contains { $0.input == input } }
}
