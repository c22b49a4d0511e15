import Foundation
import WardenJSON
import WardenONNX

/// The model contract, `warden-model.json` in the artifact directory: what the model is, its
/// inputs and outputs as clients see them, how KServe v1 named features map to inputs, and
/// the samples that warm it up. docs/contract.md is its reference. It is part of the signed artifact, so the
/// contract a client is held to is the one the model's approver signed.
public struct ModelContract: Sendable, Equatable {
    public static let fileName = "warden-model.json"
    /// Contracts are small documents; anything larger is not one.
    package static let maximumBytes = 4 << 20

    public var name: String
    public var version: String
    public var description: String
    public var inputs: [TensorSpec]
    public var outputs: [TensorSpec]
    /// For a model with one matrix input: the names of its columns, so KServe v1 instances
    /// may be objects keyed by feature name.
    public var features: [String]
    /// Warm-up requests: each maps input names to nested arrays (a batch of rows).
    public var warmup: [[String: JSONValue]]
    /// JSON Schema for one input record: an object of input names to one row's value. Every
    /// row of every request must satisfy it. Draft 2020-12 unless its `$schema` says otherwise.
    public var inputSchema: JSONValue?
    /// JSON Schema for one output record; its top-level properties may carry `x-warden-redact`.
    public var outputSchema: JSONValue?
    /// Schema documents in the artifact that the two schemas may `$ref`.
    public var schemaFiles = ContractSchemaFiles.none
    /// Inputs looked up in a feature store by entity key, instead of sent by the client.
    public var featureStore: FeatureStoreContract?
    /// Requests with the answers they must get, for synthetic checks (`warden probe`).
    public var samples: [ContractSample] = []
    /// What explanations need beyond the ONNX file (node covers, a background mean).
    public var explanations: ExplanationContract?

    /// The inputs a request carries: the model's, less those fetched from the feature store,
    /// plus the entity key when there is one.
    public var requestInputs: [TensorSpec] {
        guard let featureStore else { return inputs }
        return inputs.filter { !featureStore.isFetched($0.name) } + [featureStore.entitySpec]
    }

    public init(
        name: String, version: String, description: String = "", inputs: [TensorSpec], outputs: [TensorSpec],
        features: [String] = [], warmup: [[String: JSONValue]] = [],
        inputSchema: JSONValue? = nil, outputSchema: JSONValue? = nil
    ) {
        self.name = name
        self.version = version
        self.description = description
        self.inputs = inputs
        self.outputs = outputs
        self.features = features
        self.warmup = warmup
        self.inputSchema = inputSchema
        self.outputSchema = outputSchema
    }

    /// The keys of the contract's top level, in the order docs/contract.md describes them.
    public static let keys = [
        "name", "version", "description", "inputs", "outputs", "features", "input_schema", "output_schema", "schema_files", "feature_store",
        "warmup", "samples", "explanations",
    ]

    /// Reads a contract strictly: unknown keys, keys of the wrong type and inconsistent
    /// declarations are refused with the key path, so a contract fails closed.
    public init(json: JSONValue) throws {
        let fields = try ContractFields(json, at: "", keys: Self.keys)
        func name(_ key: String, default value: String?) throws -> String {
            let text: String
            switch (fields[key], value) {
            case let (nil, fallback?): text = fallback
            case let (.string(s)?, _): text = s
            case let (.integer(v)?, _) where key == "version": text = String(v)
            default: throw fields.error(key, "must be a string\(key == "version" ? " or an integer" : "")")
            }
            guard Self.isValidName(text) else { throw fields.error(key, "must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}") }
            return text
        }
        self.name = try name("name", default: nil)
        version = try name("version", default: "1")
        description = try fields.string("description") ?? ""
        inputs = try fields.array("inputs").enumerated().map { try TensorSpec(json: $1, at: "inputs[\($0)]") }
        outputs = try fields.array("outputs").enumerated().map { try TensorSpec(json: $1, at: "outputs[\($0)]") }
        guard !inputs.isEmpty, !outputs.isEmpty else { throw ContractError("the contract must list inputs and outputs") }
        for (key, specs) in [("inputs", inputs), ("outputs", outputs)] {
            var seen = Set<String>()
            for (index, spec) in specs.enumerated() where !seen.insert(spec.name).inserted {
                throw ContractError("\(key)[\(index)].name: '\(spec.name)' is declared twice")
            }
        }
        features = try fields.strings("features")
        if !features.isEmpty {
            guard inputs.count == 1, inputs[0].shape.count == 2 else {
                throw fields.error("features", "names the columns of a single matrix input (shape [-1, N])")
            }
            let width = inputs[0].shape[1]
            guard width == -1 || width == features.count else {
                throw fields.error("features", "has \(features.count) names for the \(width) columns of input '\(inputs[0].name)'")
            }
            guard Set(features).count == features.count else { throw fields.error("features", "names a column twice") }
        }
        warmup = try fields.array("warmup").enumerated().map { index, sample in
            guard case let .object(members) = sample else {
                throw ContractError("warmup[\(index)]: must be an object of input names to nested arrays")
            }
            return Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        }
        inputSchema = try fields.schema("input_schema")
        outputSchema = try fields.schema("output_schema")
        schemaFiles = try ContractSchemaFiles(paths: try fields.strings("schema_files"), at: "schema_files")
        featureStore = try fields["feature_store"].map { try FeatureStoreContract(json: $0, inputs: inputs) }
        let (requestInputs, outputs) = (requestInputs, outputs)
        for (index, sample) in warmup.enumerated() {
            for key in sample.keys where !inputs.contains(where: { $0.name == key }) {
                throw ContractError("warmup[\(index)].\(key): the contract declares no such input")
            }
        }
        samples = try fields.array("samples").enumerated().map {
            try ContractSample(json: $1, index: $0, requestInputs: requestInputs, outputSpecs: outputs)
        }
        guard Set(samples.map(\.name)).count == samples.count else { throw fields.error("samples", "sample names must be unique") }
        explanations = try fields["explanations"].map { try ExplanationContract(json: $0) }
    }

    /// The contract in the file at `path`, or nil when there is none. Its size is checked
    /// before it is read, so an oversized file is never loaded into memory.
    public static func read(contentsOf path: String) throws -> ModelContract? {
        guard let data = try boundedContents(path, limit: maximumBytes) else { return nil }
        var contract = try ModelContract(json: try JSONParser.parse(data))
        try contract.schemaFiles.load(from: (path as NSString).deletingLastPathComponent)
        return contract
    }

    /// Model and version names: safe in URLs, file names, log fields and metric labels.
    package static func isValidName(_ name: String) -> Bool {
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
    /// types, compatible ranks and no fixed dimension the graph contradicts; outputs the graph
    /// produces, of the type it produces; as many feature names as the matrix has columns.
    /// Every problem found is listed, so an author fixes them in one pass.
    public func check(against session: InferenceSession) throws {
        let problems = problems(against: session)
        guard problems.isEmpty else { throw ContractError(problems.joined(separator: "; ")) }
    }

    /// What `check(against:)` refuses, one line each.
    public func problems(against session: InferenceSession) -> [String] {
        var problems: [String] = []
        for input in session.inputs where !inputs.contains(where: { $0.name == input.name }) {
            problems.append("the model has input '\(input.name)', which the contract does not declare")
        }
        for (index, spec) in inputs.enumerated() {
            let path = "inputs[\(index)]"
            guard let input = session.inputs.first(where: { $0.name == spec.name }) else {
                problems.append("\(path).name: the model has no input '\(spec.name)'")
                continue
            }
            guard case let .tensor(type) = input.kind, spec.datatype.elementType == type else {
                problems.append("\(path).datatype: input '\(spec.name)' is \(input.kind) in the model, not \(spec.datatype.rawValue)")
                continue
            }
            problems += Self.shapeProblems(spec, declared: input.shape, at: path, rankMustMatch: true)
            if !features.isEmpty, let dims = input.shape, dims.count == 2, case let .fixed(width) = dims[1], width != features.count {
                problems.append("features: \(features.count) names for the \(width) columns the model's input '\(spec.name)' has")
            }
        }
        for (index, spec) in outputs.enumerated() {
            let path = "outputs[\(index)]"
            guard let output = session.outputs.first(where: { $0.name == spec.name }) else {
                problems.append("\(path).name: the model produces no output '\(spec.name)'")
                continue
            }
            let served: ElementType? =
                switch output.kind {
                case let .tensor(type): type
                case .mapSequence: .float  // ZipMap: served as its score matrix
                case let .map(_, value): value
                case .unknown: nil
                }
            if let served, spec.datatype.elementType != served {
                problems.append(
                    "\(path).datatype: output '\(spec.name)' is \(Datatype(served).rawValue) in the model, not \(spec.datatype.rawValue)")
            }
            if case let .tensor(_, dims)? = output.declared, case .tensor = output.kind {
                problems += Self.shapeProblems(spec, declared: dims, at: path, rankMustMatch: false)
            }
        }
        return problems
    }

    /// A contract shape against the graph's declared one: a fixed dimension in both must agree.
    private static func shapeProblems(_ spec: TensorSpec, declared: [ShapeDimension]?, at path: String, rankMustMatch: Bool) -> [String] {
        guard let declared else { return [] }
        guard declared.count == spec.shape.count else {
            return rankMustMatch ? ["\(path).shape: '\(spec.name)' has rank \(declared.count) in the model, not \(spec.shape.count)"] : []
        }
        var problems: [String] = []
        for (axis, (dim, graph)) in zip(spec.shape, declared).enumerated() {
            if dim != -1, case let .fixed(size) = graph, size != dim {
                problems.append("\(path).shape[\(axis)]: '\(spec.name)' has \(size) there in the model, not \(dim)")
            }
        }
        return problems
    }
}
