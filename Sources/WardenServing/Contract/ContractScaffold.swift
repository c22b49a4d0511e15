import WardenJSON
import WardenONNX

/// `warden contract init`: the contract Warden derives from a bare model, written out so an
/// author starts from what the graph declares instead of from the docs. With sample rows it
/// also proposes per-column bounds, a warm-up batch and a sample whose expected outputs are
/// Warden's own engine's answers.
public enum ContractScaffold {
    /// A contract document for `session`. `rows` are records (objects keyed by input name) or,
    /// for a model with one matrix input, arrays of that matrix's columns.
    public static func contract(for session: InferenceSession, name: String, rows: [JSONValue]? = nil) throws -> JSONValue {
        var derived = ModelContract.derived(from: session, name: name)
        derived.outputs = try spelledOutOutputs(derived.outputs, session: session)
        var members: [(key: String, value: JSONValue)] = [
            ("name", .string(derived.name)), ("version", .string(derived.version)),
            ("description", .string("")),
            ("inputs", .array(derived.inputs.map(\.json))), ("outputs", .array(derived.outputs.map(\.json))),
        ]
        let batch = try rows.map { try feeds(from: $0, inputs: derived.inputs) }
        members.append(("input_schema", inputSchema(derived.inputs, batch: batch)))
        if let batch {
            let results = try session.run(batch.feeds, outputNames: derived.outputs.map(\.name))
            members.append(("warmup", .array([.object(batch.json)])))
            let outputs = derived.outputs.map { ($0.name, JSONTensorCoding.json(.tensor(OutputTensor.of(results[$0.name])))) }
            members.append(
                (
                    "samples",
                    .array([.object([("name", .string("sample-rows")), ("inputs", .object(batch.json)), ("outputs", .object(outputs))])])
                )
            )
        }
        return .object(members)
    }

    /// Output shapes with the sizes a run shows: a ZipMap's score matrix gets its class count.
    private static func spelledOutOutputs(_ outputs: [TensorSpec], session: InferenceSession) throws -> [TensorSpec] {
        let results = try session.run(session.syntheticFeeds(batch: 1), outputNames: outputs.map(\.name))
        return outputs.map { spec in
            let observed = OutputTensor.of(results[spec.name]).shape
            guard observed.count == spec.shape.count else { return spec }
            let shape = spec.shape.enumerated().map { axis, dim in axis > 0 && dim == -1 ? observed[axis] : dim }
            return TensorSpec(name: spec.name, datatype: spec.datatype, shape: shape)
        }
    }

    /// Sample rows as engine feeds and as the contract's nested-array form.
    package struct Batch {
        package var feeds: [String: Value] = [:]
        package var json: [(key: String, value: JSONValue)] = []
        /// Each input's rows, for the bounds.
        package var columns: [String: [JSONValue]] = [:]
    }

    package static func feeds(from rows: [JSONValue], inputs: [TensorSpec]) throws -> Batch {
        guard !rows.isEmpty else { throw ContractError("the sample file holds no rows") }
        var batch = Batch()
        for spec in inputs {
            let cells = try rows.enumerated().map { index, row -> JSONValue in
                if case .object = row {
                    guard let value = row[spec.name] else { throw ContractError("row \(index) has no input '\(spec.name)'") }
                    return value
                }
                guard inputs.count == 1, case .array = row else {
                    throw ContractError("row \(index) must be an object keyed by input name")
                }
                return row
            }
            let perRow = spec.shape.count == 2 && spec.shape[1] == 1 ? cells.map { JSONValue.array([$0]) } : cells
            guard let type = spec.datatype.elementType else { throw ContractError("input '\(spec.name)' has a type Warden cannot feed") }
            let tensor = try JSONTensorCoding.tensor(from: .array(perRow), type: type)
            guard spec.accepts(tensor.shape) else {
                throw ContractError("the rows give input '\(spec.name)' shape \(tensor.shape), the model takes \(spec.shape)")
            }
            batch.feeds[spec.name] = .tensor(tensor)
            batch.json.append((spec.name, .array(perRow)))
            batch.columns[spec.name] = cells
        }
        return batch
    }

    /// One record's schema: every input required, nothing else allowed; with rows, numeric
    /// columns bounded by what the rows hold and null allowed where a row had a missing value.
    package static func inputSchema(_ inputs: [TensorSpec], batch: Batch?) -> JSONValue {
        let properties = inputs.map { spec -> (key: String, value: JSONValue) in
            let cells = batch?.columns[spec.name] ?? []
            if spec.shape.count == 2, spec.shape[1] > 1 {
                let columns = (0..<spec.shape[1]).map { column in
                    cells.compactMap { row -> JSONValue? in
                        if case let .array(items) = row, column < items.count { items[column] } else { nil }
                    }
                }
                return (
                    spec.name,
                    .object([
                        ("type", .string("array")), ("prefixItems", .array(columns.map { elementSchema(spec.datatype, $0) })),
                        ("items", .bool(false)), ("minItems", .integer(Int64(spec.shape[1]))),
                    ])
                )
            }
            return (spec.name, elementSchema(spec.datatype, cells))
        }
        return .object([
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")), ("type", .string("object")),
            ("required", .array(inputs.map { .string($0.name) })), ("additionalProperties", .bool(false)),
            ("properties", .object(properties)),
        ])
    }

    private static func elementSchema(_ datatype: Datatype, _ values: [JSONValue]) -> JSONValue {
        var members: [(key: String, value: JSONValue)]
        switch datatype {
        case .bool: return .object([("type", .string("boolean"))])
        case .bytes: return .object([("type", .string("string"))])
        case .fp16, .fp32, .fp64:
            let missing = values.contains { JSONTensorCoding.numericValue($0)?.isNaN == true }
            members = [("type", missing ? .array([.string("number"), .string("null")]) : .string("number"))]
        default: members = [("type", .string("integer"))]
        }
        // An infinity in the rows leaves that side unbounded, so the warm-up stays inside its schema.
        let numbers = values.compactMap(JSONTensorCoding.numericValue).filter { !$0.isNaN }
        let bound = { (x: Double) -> JSONValue in datatype.isFloatingPoint ? .number(x) : .integer(Int64(x)) }
        if let low = numbers.min(), low.isFinite { members.append(("minimum", bound(low))) }
        if let high = numbers.max(), high.isFinite { members.append(("maximum", bound(high))) }
        return .object(members)
    }
}

extension Datatype {
    package var isFloatingPoint: Bool { self == .fp16 || self == .fp32 || self == .fp64 }
}
