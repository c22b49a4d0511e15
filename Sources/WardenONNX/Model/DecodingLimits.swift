/// Hard limits on what a model file may contain. A file that exceeds one is refused with
/// `ModelLoadError.limitExceeded` naming the limit, before any of it is executed.
///
/// The defaults fit tabular models (a 500-tree forest is a few MB) with a wide margin.
public struct DecodingLimits: Sendable, Equatable {
    /// Size of the whole `.onnx` file.
    public var maxFileBytes: Int = 256 << 20
    /// Depth of nested messages (graphs inside attributes inside graphs...).
    public var maxNesting: Int = 16
    /// Nodes across the main graph and every subgraph.
    public var maxNodes: Int = 100_000
    /// Elements in any one tensor or repeated attribute.
    public var maxTensorElements: Int = 64 << 20
    /// Bytes in any one string, name or raw byte field (raw tensor data is bounded by elements).
    public var maxStringBytes: Int = 1 << 20
    /// Rank of any tensor.
    public var maxRank: Int = 16

    public init() {}
}
