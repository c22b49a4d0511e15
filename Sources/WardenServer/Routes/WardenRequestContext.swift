import Hummingbird

/// The per-request context: Hummingbird's core storage, and the id the request is known by in
/// logs, responses and traces.
public struct WardenRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let requestID: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        requestID = RequestIdentifier.make()
    }

    /// Bodies are collected by the inference handlers against their own limit.
    public var maxUploadSize: Int { 64 << 20 }
}

/// Request ids: 16 random hex digits, unique enough to correlate and free of client data.
enum RequestIdentifier {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
