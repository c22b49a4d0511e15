import Foundation
import HTTPTypes
import Tracing
import WardenConfig
import WardenJSON
import WardenONNX
import WardenServing

/// Where the Feature Retrieval Proxy is and how Warden treats it (`feature_proxy:` in the
/// configuration). It speaks Feast's online-features API (`POST /get-online-features`), over
/// mutual TLS with the proxy's SPIFFE ID pinned.
public struct FeatureProxySettings: Sendable, Equatable {
    public enum Fallback: String, Sendable { case fail, defaults }

    public var host: String
    public var port: Int
    public var serverID: SPIFFEID
    public var timeout: Duration = .milliseconds(200)
    /// When the proxy fails or its breaker is open: refuse (503/504), or use the contract's defaults.
    public var fallback = Fallback.fail
    var breaker = CircuitBreaker.Settings()

    public init(host: String, port: Int, serverID: SPIFFEID) {
        self.host = host
        self.port = port
        self.serverID = serverID
    }
}

/// Looks up a batch's features by entity key, behind a circuit breaker, and turns them into
/// the model's input tensors.
final class FeatureProxy: FeatureSource {
    let settings: FeatureProxySettings
    private let client: OutboundClient
    let breaker: CircuitBreaker
    private let metrics: OutboundMetrics

    init(settings: FeatureProxySettings, material: TLSMaterial, metrics: OutboundMetrics) {
        self.settings = settings
        self.metrics = metrics
        client = OutboundClient(host: settings.host, port: settings.port, pinnedID: settings.serverID, material: material)
        breaker = CircuitBreaker(name: "feature_proxy", settings: settings.breaker) { metrics.breakerState("feature_proxy", $0) }
    }

    /// The fetched inputs of one request, `[rows, 1]` each, from the proxy or (if configured and
    /// the proxy is unavailable) from the contract's defaults.
    func inputs(
        for store: FeatureStoreContract, keys: [String], specs: [TensorSpec], deadline: ContinuousClock.Instant
    ) async throws(ServingFailure) -> [String: Value] {
        try await ServingFailure.catching { try await lookUpInputs(for: store, keys: keys, specs: specs, deadline: deadline) }
    }

    private func lookUpInputs(
        for store: FeatureStoreContract, keys: [String], specs: [TensorSpec], deadline: ContinuousClock.Instant
    ) async throws -> [String: Value] {
        let columns: [String: [JSONValue]]
        do {
            columns = try await breaker.run { try await lookUp(store, keys: keys, deadline: deadline) }
            metrics.call("feature_proxy", outcome: "success")
        } catch {
            let failure = Self.servingError(error)
            metrics.call("feature_proxy", outcome: failure.code.rawValue)
            guard settings.fallback == .defaults else { throw failure }
            columns = try Self.defaults(store, rows: keys.count)
        }
        var feeds: [String: Value] = [:]
        for (input, _) in store.features {
            guard let spec = specs.first(where: { $0.name == input }), let target = spec.datatype.elementType,
                let values = columns[input]
            else { throw ServingFailure(.featureProxyBadResponse, "the feature proxy's answer is incomplete") }
            do {
                let storage = try TensorDecoding.fromJSON(
                    .array(values), datatype: spec.datatype, count: keys.count, target: target, input: input)
                feeds[input] = .tensor(Tensor(shape: spec.shape.count == 2 ? [keys.count, 1] : [keys.count], storage: storage))
            } catch {
                throw ServingFailure(.featureProxyBadResponse, "feature '\(input)' from the proxy has the wrong type")
            }
        }
        return feeds
    }

    /// One Feast `get-online-features` call: full feature names, so `view:feature` comes back
    /// as `view__feature`.
    private func lookUp(_ store: FeatureStoreContract, keys: [String], deadline: ContinuousClock.Instant) async throws -> [String:
        [JSONValue]]
    {
        let remaining = min(settings.timeout, deadline - .now)
        guard remaining > .zero else { throw OutboundClient.Failure.timeout }
        var writer = JSONWriter()
        writer.value(
            .object([
                ("features", .array(store.features.map { .string($0.reference) })),
                ("entities", .object([(store.entity, .array(keys.map(JSONValue.string)))])),
                ("full_feature_names", .bool(true)),
            ]))
        let response = try await client.post(
            path: "/get-online-features", body: writer.bytes, headers: Self.traceHeaders(), timeout: remaining)
        guard response.status == 200 else { throw ProxyAnswer.status(response.status) }
        guard let json = try? JSONParser.parse(response.body), case let .array(names)? = json["metadata"]?["feature_names"],
            case let .array(results)? = json["results"], results.count == names.count
        else { throw ProxyAnswer.malformed }
        var columns: [String: [JSONValue]] = [:]
        for (input, reference) in store.features {
            let fullName = reference.replacingOccurrences(of: ":", with: "__")
            guard let index = names.firstIndex(of: .string(fullName)), case let .array(values)? = results[index]["values"],
                values.count == keys.count
            else { throw ProxyAnswer.malformed }
            var statuses: [JSONValue] = []
            if case let .array(found)? = results[index]["statuses"] { statuses = found }
            // A value the store does not hold (status other than PRESENT) is missing: null.
            columns[input] = values.enumerated().map { (row: Int, value: JSONValue) -> JSONValue in
                row < statuses.count && statuses[row] != JSONValue.string("PRESENT") ? JSONValue.null : value
            }
        }
        return columns
    }

    enum ProxyAnswer: Error {
        case status(Int)
        case malformed
    }

    private static func defaults(_ store: FeatureStoreContract, rows: Int) throws -> [String: [JSONValue]] {
        var columns: [String: [JSONValue]] = [:]
        for (input, _) in store.features {
            guard let value = store.defaults[input] else {
                throw ServingFailure(.featureProxyUnavailable, "the feature proxy is unavailable and '\(input)' has no default")
            }
            columns[input] = Array(repeating: value, count: rows)
        }
        return columns
    }

    /// The client-facing error for a failed lookup: no detail of the proxy's answer is passed on.
    static func servingError(_ error: any Error) -> ServingFailure {
        var failure: ServingFailure
        switch error {
        case is CircuitBreaker.OpenError:
            failure = ServingFailure(.featureProxyUnavailable, "the feature proxy is unavailable (circuit open)")
        case OutboundClient.Failure.timeout:
            failure = ServingFailure(.featureProxyTimeout, "the feature proxy did not answer in time")
        case is ProxyAnswer:
            failure = ServingFailure(.featureProxyBadResponse, "the feature proxy's answer is not usable")
        default:
            failure = ServingFailure(.featureProxyUnavailable, "the feature proxy cannot be reached")
        }
        if failure.status == 503 { failure.retryAfterSeconds = 1 }
        return failure
    }

    /// W3C trace context of the current request, so the proxy's spans join its trace.
    static func traceHeaders() -> HTTPFields {
        var headers = HTTPFields()
        InstrumentationSystem.instrument.inject(ServiceContext.current ?? .topLevel, into: &headers, using: HTTPFieldsInjector())
        return headers
    }
}

extension FeatureProxySettings {
    /// Reads `feature_proxy:` — `url` (https://host:port), `server_id` (the proxy's SPIFFE ID),
    /// `timeout_seconds`, `fallback` (fail | defaults), `breaker` (failure_threshold, open_seconds).
    init(reading map: inout StrictMapping) throws {
        guard let text = try map.string("url"), let url = URLComponents(string: text), url.scheme == "https",
            let host = url.host, !host.isEmpty, let port = url.port, url.path.isEmpty || url.path == "/"
        else { throw ConfigurationError("feature_proxy.url must be https://HOST:PORT (mutual TLS, no path)") }
        guard let idText = try map.string("server_id") else {
            throw ConfigurationError("feature_proxy.server_id is required (the proxy's SPIFFE ID)")
        }
        let id: SPIFFEID
        do {
            id = try SPIFFEID(parsing: idText)
        } catch {
            throw ConfigurationError("feature_proxy.server_id: \(error)")
        }
        self.init(host: host, port: port, serverID: id)
        if let seconds = try map.seconds("timeout_seconds") {
            guard seconds > .zero else { throw ConfigurationError("feature_proxy.timeout_seconds must be above 0") }
            timeout = seconds
        }
        if let name = try map.string("fallback") {
            guard let parsed = Fallback(rawValue: name) else { throw ConfigurationError("feature_proxy.fallback must be fail or defaults") }
            fallback = parsed
        }
        if var breakerMap = try map.mapping("breaker") {
            breaker.failureThreshold = try breakerMap.positiveInt("failure_threshold") ?? breaker.failureThreshold
            breaker.openDuration = try breakerMap.seconds("open_seconds") ?? breaker.openDuration
            try breakerMap.finish()
        }
        try map.finish()
    }
}
