/// What a model file declares and whether the engine can run it, for `warden onnx inspect`.
/// Unlike `InferenceSession`, a report is produced even for a model the engine refuses, so
/// the person reading it sees everything that is missing at once.
public struct ModelReport: Sendable {
    public struct Port: Sendable {
        public let name: String
        public let type: String
        public let shape: [ShapeDimension]?
    }

    public let irVersion: Int64
    public let producer: String
    public let graphName: String
    public let opsets: [(domain: String, version: Int64)]
    public let inputs: [Port]
    public let outputs: [Port]
    /// Operator use counts, "domain:Op" outside the default domain, sorted by name.
    public let operators: [(name: String, count: Int)]
    public let initializerCount: Int
    /// Element types of the initializers (weights), lowercase ONNX names ("float16", "uint8").
    public let initializerTypes: [String]
    /// Why the engine cannot run the model; empty when it can.
    public let problems: [String]
    /// What a trial run on synthetic inputs showed that the model gets wrong but Warden, like
    /// ONNX Runtime, still serves (an output shape that contradicts its declaration).
    public let warnings: [String]

    /// Decodes and compiles `bytes`. Throws only when the file cannot be decoded at all.
    public init(modelBytes bytes: [UInt8], limits: DecodingLimits = DecodingLimits()) throws {
        let model = try ModelDecoder.decode(bytes, limits: limits)
        let graph = model.graph
        irVersion = model.irVersion
        producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        graphName = graph.name
        opsets = model.opsetImports.map { ($0.domain.isEmpty ? "ai.onnx" : $0.domain, $0.version) }
        let initializers = Set(graph.initializers.map(\.name))
        inputs = graph.inputs.filter { !initializers.contains($0.name) }.map(Self.port)
        outputs = graph.outputs.map(Self.port)
        var counts: [String: Int] = [:]
        for node in graph.nodes {
            let domain = OperatorRegistry.normalize(domain: node.domain)
            counts[domain.isEmpty ? node.opType : "\(domain):\(node.opType)", default: 0] += 1
        }
        operators = counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        initializerCount = graph.initializers.count
        initializerTypes = Set(graph.initializers.map { $0.tensor.elementType.description }).sorted()
        var warnings: [String] = []
        var problems: [String] = []
        do {
            let session = try InferenceSession(decoded: model)
            if let results = try? session.run(session.syntheticFeeds(batch: 2, maxDimension: 64)) {
                warnings = session.outputShapeWarnings(results)
            }
        } catch let ModelLoadError.unsupported(items) {
            problems = items
        } catch {
            problems = ["\(error)"]
        }
        self.problems = problems
        self.warnings = warnings
    }

    private static func port(_ info: ValueInfo) -> Port {
        Port(name: info.name, type: describe(info.type), shape: shapeOf(info.type))
    }

    private static func shapeOf(_ type: TypeProto?) -> [ShapeDimension]? {
        if case let .tensor(_, shape)? = type { return shape }
        return nil
    }

    static func describe(_ type: TypeProto?) -> String {
        switch type {
        case nil: "undeclared"
        case let .tensor(code, _)?: "tensor(\(DataTypeName.name(of: code).lowercased()))"
        case let .sequence(inner)?: "seq(\(describe(inner)))"
        case let .map(key, value)?: "map(\(DataTypeName.name(of: key).lowercased()), \(describe(value)))"
        case let .other(name)?: name
        }
    }
}
