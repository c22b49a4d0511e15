import WardenJSON
import WardenONNX

/// A request the model's approver signed together with the answer it must get: `samples` in
/// the contract. `warden probe` sends each one to a running server and holds the answer to
/// the expected outputs, so a synthetic check proves the served model still behaves as
/// approved, not merely that it answers.
public struct ContractSample: Sendable, Equatable {
    /// How far a computed number may be from the expected one: |got − want| ≤ absolute +
    /// relative × |want|. Integers, strings and booleans must match exactly.
    public struct Tolerance: Sendable, Equatable {
        public var absolute = 1e-6
        public var relative = 1e-5

        /// The keys of a sample's `tolerance`.
        public static let keys = ["absolute", "relative"]
    }

    /// The keys of one sample.
    public static let keys = ["name", "inputs", "outputs", "tolerance"]

    public var name: String
    /// Request inputs (the client's view: the entity key, not fetched features) as nested arrays.
    public var inputs: [String: JSONValue]
    /// Expected outputs as the client sees them (after redaction), as nested arrays.
    public var outputs: [String: JSONValue]
    public var tolerance = Tolerance()

    package init(json: JSONValue, index: Int, requestInputs: [TensorSpec], outputSpecs: [TensorSpec]) throws {
        let context = "samples[\(index)]"
        let fields = try ContractFields(json, at: context, keys: Self.keys)
        switch fields["name"] {
        case nil: name = String(index)
        case let .string(s)? where ModelContract.isValidName(s): name = s
        default: throw ContractError("\(context): \"name\" must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}")
        }
        inputs = try Self.members(fields["inputs"], "\(context).inputs")
        outputs = try Self.members(fields["outputs"], "\(context).outputs")
        for spec in requestInputs where inputs[spec.name] == nil {
            throw ContractError("\(context) has no input '\(spec.name)'")
        }
        for key in inputs.keys where !requestInputs.contains(where: { $0.name == key }) {
            throw ContractError("\(context) has input '\(key)', which the contract does not declare")
        }
        guard !outputs.isEmpty else { throw ContractError("\(context) must expect at least one output") }
        for key in outputs.keys where !outputSpecs.contains(where: { $0.name == key }) {
            throw ContractError("\(context) expects output '\(key)', which the contract does not declare")
        }
        // An input and an output may share a name: each is checked on its own.
        for (key, value) in Array(inputs) + Array(outputs) {
            do { _ = try JSONTensorCoding.shapeAndLeaves(value) } catch { throw ContractError("\(context), '\(key)': \(error)") }
        }
        if let tolerance = fields["tolerance"] {
            let bounds = try ContractFields(tolerance, at: "\(context).tolerance", keys: Tolerance.keys)
            self.tolerance.absolute = try Self.bound(bounds["absolute"], default: self.tolerance.absolute, bounds.path("absolute"))
            self.tolerance.relative = try Self.bound(bounds["relative"], default: self.tolerance.relative, bounds.path("relative"))
        }
    }

    /// The sample as an Open Inference Protocol v2 JSON request, each input with the
    /// contract's datatype and the shape of its nesting.
    public func inferenceRequest(inputs specs: [TensorSpec]) throws -> [UInt8] {
        let tensors = try specs.map { spec -> JSONValue in
            let (shape, leaves) = try JSONTensorCoding.shapeAndLeaves(inputs[spec.name] ?? .null)
            return .object([
                (key: "name", value: .string(spec.name)),
                (key: "datatype", value: .string(spec.datatype.rawValue)),
                (key: "shape", value: .array(shape.map { .integer(Int64($0)) })),
                (key: "data", value: .array(leaves)),
            ])
        }
        let request = JSONValue.object([(key: "id", value: .string("probe-\(name)")), (key: "inputs", value: .array(tensors))])
        return Array(request.serialized().utf8)
    }

    private static func members(_ json: JSONValue?, _ context: String) throws -> [String: JSONValue] {
        guard case let .object(members)? = json else { throw ContractError("\(context) must be an object of tensors") }
        return Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    private static func bound(_ json: JSONValue?, default value: Double, _ context: String) throws -> Double {
        switch json {
        case nil: return value
        case let .number(d)? where d >= 0 && d.isFinite: return d
        case let .integer(i)? where i >= 0: return Double(i)
        default: throw ContractError("\(context): must be a non-negative number")
        }
    }
}
