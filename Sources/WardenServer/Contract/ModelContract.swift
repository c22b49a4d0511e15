import WardenJSON
import WardenONNX

/// The model contract, `warden-model.json` in the artifact directory: what the model is, its
/// inputs and outputs as clients see them, class labels, how KServe v1 named features map to
/// inputs, and the samples that warm it up. It is part of the signed artifact, so the
/// contract a client is held to is the one the model's approver signed.
public struct ModelContract: Sendable, Equatable {
    public static let fileName = "warden-model.json"
    /// Contracts are small documents; anything larger is not one.
    static let maximumBytes = 4 << 20

    public var name: String
    public var version: String
    public var description: String
    public var inputs: [TensorSpec]
    public var outputs: [TensorSpec]
    /// Labels of the score columns of a classifier, in column order.
    public var classLabels: [String]
    /// For a model with one matrix input: the names of its columns, so KServe v1 instances
    /// may be objects keyed by feature name.
    public var features: [String]
    /// Warm-up requests: each maps input names to nested arrays (a batch of rows).
    public var warmup: [[String: JSONValue]]
    /// JSON Schema (draft 2020-12) for one input record: an object of input names to one
    /// row's value. Every row of every request must satisfy it.
    public var inputSchema: JSONValue?
    /// JSON Schema for one output record; its top-level properties may carry `x-warden-redact`.
    public var outputSchema: JSONValue?
    /// Inputs looked up in a feature store by entity key, instead of sent by the client.
    public var featureStore: FeatureStoreContract?
    /// Requests with the answers they must get, for synthetic checks (`warden probe`).
    public var samples: [ContractSample] = []

    /// The inputs a request carries: the model's, less those fetched from the feature store,
    /// plus the entity key when there is one.
    public var requestInputs: [TensorSpec] {
        guard let featureStore else { return inputs }
        return inputs.filter { !featureStore.isFetched($0.name) } + [featureStore.entitySpec]
    }

    public init(
        name: String, version: String, description: String = "", inputs: [TensorSpec], outputs: [TensorSpec],
        classLabels: [String] = [], features: [String] = [], warmup: [[String: JSONValue]] = [],
        inputSchema: JSONValue? = nil, outputSchema: JSONValue? = nil
    ) {
        self.name = name
        self.version = version
        self.description = description
        self.inputs = inputs
        self.outputs = outputs
        self.classLabels = classLabels
        self.features = features
        self.warmup = warmup
        self.inputSchema = inputSchema
        self.outputSchema = outputSchema
    }

    public init(json: JSONValue) throws {
        guard case .object = json else { throw ContractError("the contract must be a JSON object") }
        func string(_ key: String, default value: String? = nil) throws -> String {
            if case let .string(s)? = json[key] { return s }
            if json[key] == nil, let value { return value }
            throw ContractError("\"\(key)\" must be a string")
        }
        func list(_ key: String) throws -> [JSONValue] {
            switch json[key] {
            case nil: return []
            case let .array(items)?: return items
            default: throw ContractError("\"\(key)\" must be an array")
            }
        }
        name = try string("name")
        guard Self.isValidName(name) else { throw ContractError("\"name\" must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}") }
        if case let .integer(v)? = json["version"] { version = String(v) } else { version = try string("version", default: "1") }
        guard Self.isValidName(version) else { throw ContractError("\"version\" must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}") }
        description = try string("description", default: "")
        inputs = try list("inputs").map { try TensorSpec(json: $0, context: "input") }
        outputs = try list("outputs").map { try TensorSpec(json: $0, context: "output") }
        classLabels = try list("class_labels").map {
            guard case let .string(s) = $0 else { throw ContractError("\"class_labels\" must hold strings") }
            return s
        }
        features = try list("features").map {
            guard case let .string(s) = $0 else { throw ContractError("\"features\" must hold strings") }
            return s
        }
        warmup = try list("warmup").map { sample in
            guard case let .object(members) = sample else { throw ContractError("each \"warmup\" sample must be an object of inputs") }
            return Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        }
        inputSchema = json["input_schema"]
        outputSchema = json["output_schema"]
        featureStore = try json["feature_store"].map { try FeatureStoreContract(json: $0, inputs: inputs) }
        guard !inputs.isEmpty, !outputs.isEmpty else { throw ContractError("the contract must list inputs and outputs") }
        let (requestInputs, outputs) = (requestInputs, outputs)
        samples = try list("samples").enumerated().map {
            try ContractSample(json: $1, index: $0, requestInputs: requestInputs, outputSpecs: outputs)
        }
        guard Set(samples.map(\.name)).count == samples.count else { throw ContractError("sample names must be unique") }
        guard Set(inputs.map(\.name)).count == inputs.count, Set(outputs.map(\.name)).count == outputs.count else {
            throw ContractError("tensor names must be unique")
        }
        guard features.isEmpty || inputs.count == 1 else {
            throw ContractError("\"features\" names the columns of a single matrix input")
        }
    }

    /// The contract in the file at `path`, or nil when there is none. Its size is checked
    /// before it is read, so an oversized file is never loaded into memory.
    public static func read(contentsOf path: String) throws -> ModelContract? {
        guard let data = try boundedContents(path, limit: maximumBytes) else { return nil }
        return try ModelContract(json: try JSONParser.parse(data))
    }

    /// Model and version names: safe in URLs, file names, log fields and metric labels.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 128 else { return false }
        let isAlphanumeric = { (c: UInt8) in (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) }
        return isAlphanumeric(first) && name.utf8.allSatisfy { isAlphanumeric($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
    }

    /// The contract a bare `model.onnx` gets: inputs and outputs as the graph declares them.
    public static func derived(from session: InferenceSession, name: String, version: String = "1") -> ModelContract {
        func shape(_ dims: [ShapeDimension]?) -> [Int] {
            (dims ?? [.unknown]).map { if case let .fixed(n) = $0 { n } else { -1 } }
        }
        let inputs = session.inputs.compactMap { input -> TensorSpec? in
            guard case let .tensor(type) = input.kind else { return nil }
            return TensorSpec(name: input.name, datatype: Datatype(type), shape: shape(input.shape))
        }
        let outputs = session.outputs.map { output -> TensorSpec in
            var dims: [ShapeDimension]?
            if case let .tensor(_, declared)? = output.declared { dims = declared }
            switch output.kind {
            case let .tensor(type): return TensorSpec(name: output.name, datatype: Datatype(type), shape: shape(dims))
            // ZipMap's sequence of maps is served as its score matrix (OIP has no map type).
            default: return TensorSpec(name: output.name, datatype: .fp32, shape: [-1, -1])
            }
        }
        return ModelContract(name: name, version: version, description: "", inputs: inputs, outputs: outputs)
    }

    /// Checks that the contract describes this graph: the same input names with the engine's
    /// types and compatible ranks, and outputs the graph produces.
    public func check(against session: InferenceSession) throws {
        for input in session.inputs {
            guard let spec = inputs.first(where: { $0.name == input.name }) else {
                throw ContractError("the model has input '\(input.name)', which the contract does not declare")
            }
            guard case let .tensor(type) = input.kind, spec.datatype.elementType == type else {
                throw ContractError("input '\(input.name)' is \(input.kind) in the model but \(spec.datatype.rawValue) in the contract")
            }
            if let dims = input.shape, dims.count != spec.shape.count {
                throw ContractError("input '\(input.name)' has rank \(dims.count) in the model but \(spec.shape.count) in the contract")
            }
        }
        for spec in inputs where !session.inputs.contains(where: { $0.name == spec.name }) {
            throw ContractError("the contract declares input '\(spec.name)', which the model does not have")
        }
        for spec in outputs where !session.outputs.contains(where: { $0.name == spec.name }) {
            throw ContractError("the contract declares output '\(spec.name)', which the model does not produce")
        }
    }
}
