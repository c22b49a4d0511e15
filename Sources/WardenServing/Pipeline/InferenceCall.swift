import WardenONNX
import WardenTrust

/// One inference request as a protocol hands it to the pipeline: which model (and perhaps which
/// version) it names, who asks, when it arrived and how long the client will wait, and how to
/// decode its body once the version is chosen and the request admitted. The decoder sees the
/// chosen version's contract, never the served model itself.
public struct InferenceCall: Sendable {
    /// The protocol route, for the policy input and the metrics.
    public enum Route: String, Sendable {
        /// OIP v2 infer (REST or gRPC).
        case infer
        /// KServe v1 predict: tensors from the contract alone, no feature store.
        case predict
    }

    public var model: String
    /// The version the client pinned; nil lets the release plan choose.
    public var version: String?
    /// The client's SPIFFE ID (nil without mutual TLS).
    public var client: String?
    public var requestID: String
    public var route: Route
    /// The route as the metrics name it (the HTTP path template, or the gRPC method).
    public var routeLabel: String
    public var arrival: ContinuousClock.Instant
    /// What the client asked of the deadline (a header, a gRPC timeout), or why it could not be
    /// read: the refusal comes after the version is chosen, as any other about the request.
    public var requestedTimeout: Result<Duration?, ServingFailure>
    /// A request header, for a release plan that splits on one (`split: header`).
    public var header: @Sendable (String) -> String?
    /// Reads and decodes the body against the chosen version's contract. Runs once admitted.
    public var decode: @Sendable (ModelContract) async throws -> DecodedInputs
    /// Whether the client may ask for explanations (the `explain` route class) of this model;
    /// asked only of a request that wants one, so other requests pay nothing for it.
    public var mayExplain: @Sendable () -> Bool = { true }
    /// Whether the client has closed its connection: a request that waited in the listener's
    /// backlog or the admission queue for a client that left is not computed.
    public var clientGone: @Sendable () -> Bool = { false }

    public init(
        model: String, version: String?, client: String?, requestID: String, route: Route = .infer, routeLabel: String,
        arrival: ContinuousClock.Instant = .now, requestedTimeout: Result<Duration?, ServingFailure> = .success(nil),
        header: @escaping @Sendable (String) -> String? = { _ in nil },
        decode: @escaping @Sendable (ModelContract) async throws -> DecodedInputs
    ) {
        self.model = model
        self.version = version
        self.client = client
        self.requestID = requestID
        self.route = route
        self.routeLabel = routeLabel
        self.arrival = arrival
        self.requestedTimeout = requestedTimeout
        self.header = header
        self.decode = decode
    }

    /// Who release management keeps on one version: the client's SPIFFE ID, else (no mutual
    /// TLS) the request itself, drawn anew.
    var releaseClient: String { client ?? requestID }
}

/// A decoded request body: the input tensors, the outputs asked for (all of the contract's
/// when nil), and the request's own timeout (OIP's `timeout` parameter), if any.
public struct DecodedInputs: Sendable {
    public var feeds: [String: Value]
    public var outputs: [String]?
    public var timeout: Duration?
    /// The request asks for an explanation of its answer (OIP `parameters.explain`).
    public var explain: ExplainRequest?

    public init(feeds: [String: Value], outputs: [String]? = nil, timeout: Duration? = nil, explain: ExplainRequest? = nil) {
        self.feeds = feeds
        self.outputs = outputs
        self.timeout = timeout
        self.explain = explain
    }
}

/// What an explanation request asks: how many reason codes per row.
public struct ExplainRequest: Sendable, Equatable {
    public static let maximumTopK = 64
    public var topK: Int

    public init(topK: Int = 5) { self.topK = topK }
}

/// The answer: the version that gave it, and the requested outputs that survived the output
/// contract and redaction.
public struct InferenceResult: Sendable {
    public let model: ServedModelIdentity
    public let outputs: [String: Value]
    /// The outputs asked for, in the order asked (the contract's when none were named).
    public let requested: [String]
}

/// Which served version answered (or refused): for the response, the logs and the traces.
public struct ServedModelIdentity: Sendable, Equatable {
    public let name: String
    public let version: String
    /// The artifact digest the version was verified against; nil when served unpinned.
    public let digest: SHA256Digest?
}
