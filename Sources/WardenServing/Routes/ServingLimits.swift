import WardenJSON

/// Bounds on what one request may send.
public struct ServingLimits: Sendable, Equatable {
    /// Largest request body, JSON and binary data together.
    public var maxBodyBytes = 16 << 20
    /// JSON nesting, string length and value count; NaN and Infinity tokens accepted.
    public var json: JSONParser.Limits = {
        var limits = JSONParser.Limits()
        limits.maxDepth = 32
        limits.maxStringBytes = 64 << 10
        limits.allowsNonFiniteNumbers = true  // NaN and Infinity, as Triton reads them
        return limits
    }()
    /// Refuse a request without a Content-Type instead of reading it as JSON (tritonclient sends none).
    public var requireContentType = false

    public init() {}
}
