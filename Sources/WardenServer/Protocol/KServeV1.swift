import WardenJSON
import WardenONNX
import WardenServing

/// KServe's v1 protocol: `{"instances": [...]}` in, `{"predictions": [...]}` out.
///
/// An instance is a row: an array of values (for a matrix input, its columns; for a model with
/// one input per column, the inputs in contract order) or an object of named features (input
/// names, or the contract's `features` for a matrix input).
enum KServeV1 {
    static func feeds(body: [UInt8], contract: ModelContract, limits: JSONParser.Limits) throws -> [String: Value] {
        let json: JSONValue
        do {
            json = try JSONParser.parse(body, limits: limits)
        } catch let error as JSONParser.SyntaxError {
            throw ServingFailure.badRequest(.invalidJSON, error.description)
        }
        guard case let .array(instances)? = json["instances"], !instances.isEmpty else {
            throw ServingFailure.badRequest(.invalidRequest, "\"instances\" must be a non-empty array")
        }
        guard instances.count <= RequestTensorHeader.maxElements else {
            throw ServingFailure.badRequest(.tooManyElements, "too many instances")
        }
        let specs = contract.inputs
        if specs.count == 1, specs[0].shape.count == 2 {
            return [specs[0].name: .tensor(try matrix(instances, spec: specs[0], features: contract.features))]
        }
        // One input per column: each input gets one value per instance.
        var columns = [[JSONValue]](repeating: [], count: specs.count)
        for (row, instance) in instances.enumerated() {
            let values: [JSONValue]
            switch instance {
            case let .array(items):
                guard items.count == specs.count else {
                    throw ServingFailure.badRequest(
                        .shapeMismatch, "instance \(row) has \(items.count) values, the model has \(specs.count) inputs")
                }
                values = items
            case .object:
                values = try specs.map { spec in
                    guard let value = instance[spec.name] else {
                        throw ServingFailure.badRequest(.missingInput, "instance \(row) has no feature '\(spec.name)'")
                    }
                    return value
                }
                if case let .object(members) = instance, members.count != specs.count {
                    throw ServingFailure.badRequest(.unknownInput, "instance \(row) has features the model does not take")
                }
            default:
                throw ServingFailure.badRequest(.invalidRequest, "instance \(row) must be an array or an object")
            }
            for (index, value) in values.enumerated() { columns[index].append(value) }
        }
        var feeds: [String: Value] = [:]
        for (spec, column) in zip(specs, columns) {
            let shape = spec.shape.count == 2 ? [column.count, 1] : [column.count]
            guard spec.accepts(shape) else {
                throw ServingFailure.badRequest(
                    .shapeMismatch, "input '\(spec.name)' has shape \(spec.shape), which v1 instances cannot fill")
            }
            feeds[spec.name] = .tensor(try tensor(column, spec: spec, shape: shape))
        }
        return feeds
    }

    private static func matrix(_ instances: [JSONValue], spec: TensorSpec, features: [String]) throws -> Tensor {
        let width = spec.shape[1] >= 0 ? spec.shape[1] : (features.isEmpty ? nil : features.count)
        var cells: [JSONValue] = []
        for (row, instance) in instances.enumerated() {
            switch instance {
            case let .array(items):
                if let width, items.count != width {
                    throw ServingFailure.badRequest(.shapeMismatch, "instance \(row) has \(items.count) values, the model expects \(width)")
                }
                cells.append(contentsOf: items)
            case let .object(members):
                guard !features.isEmpty else {
                    throw ServingFailure.badRequest(.invalidRequest, "this model's contract names no features: send instances as arrays")
                }
                guard members.count == features.count else {
                    throw ServingFailure.badRequest(.shapeMismatch, "instance \(row) must have exactly the features \(features)")
                }
                for feature in features {
                    guard let value = instance[feature] else {
                        throw ServingFailure.badRequest(.missingInput, "instance \(row) has no feature '\(feature)'")
                    }
                    cells.append(value)
                }
            default:
                throw ServingFailure.badRequest(.invalidRequest, "instance \(row) must be an array or an object")
            }
        }
        let columns = instances.isEmpty ? 0 : cells.count / instances.count
        return try tensor(cells, spec: spec, shape: [instances.count, columns])
    }

    private static func tensor(_ values: [JSONValue], spec: TensorSpec, shape: [Int]) throws -> Tensor {
        guard let type = spec.datatype.elementType else {
            throw ServingFailure.badRequest(.datatypeMismatch, "input '\(spec.name)' has a datatype v1 cannot fill")
        }
        let storage = try TensorDecoding.fromJSON(
            .array(values), datatype: spec.datatype, count: values.count, target: type, input: spec.name)
        return Tensor(shape: shape, storage: storage)
    }

    /// One prediction per row: the row of the single output, or an object of every output's row.
    static func predictions(_ results: [String: Value], outputs names: [String]) -> [UInt8] {
        let outputs = names.map { ($0, InferenceResponse.tensor(results[$0])) }
        let rows = outputs.first?.1.shape.first ?? 0
        var json = JSONWriter(capacity: 256, writesNonFiniteTokens: true)
        json.raw("{\"predictions\":")
        json.array(0..<rows) { json, row in
            if outputs.count == 1 {
                writeRow(outputs[0].1, row: row, to: &json)
            } else {
                json.raw("{")
                for (index, (name, tensor)) in outputs.enumerated() {
                    if index > 0 { json.raw(",") }
                    json.string(name)
                    json.raw(":")
                    writeRow(tensor, row: row, to: &json)
                }
                json.raw("}")
            }
        }
        json.raw("}")
        return json.bytes
    }

    /// `:explain`'s answer: the predictions as `:predict` gives them, and per instance its
    /// explanation: `<output>__attributions`, `<output>__base_value` and `reason_codes` by name.
    static func explanations(_ results: [String: Value], outputs names: [String]) -> [UInt8] {
        let model = names.filter { !$0.hasSuffix("__attributions") && !$0.hasSuffix("__base_value") && $0 != "reason_codes" }
        let explained = names.filter { !model.contains($0) }
        var body = predictions(results, outputs: model)
        body.removeLast()  // the closing brace: the explanations follow
        let tensors = explained.map { ($0, InferenceResponse.tensor(results[$0])) }
        let rows = tensors.first?.1.shape.first ?? 0
        var json = JSONWriter(capacity: 256, writesNonFiniteTokens: true)
        json.raw(",\"explanations\":")
        json.array(0..<rows) { json, row in
            json.raw("{")
            for (index, (name, tensor)) in tensors.enumerated() {
                if index > 0 { json.raw(",") }
                json.string(name)
                json.raw(":")
                if tensor.rank == 3 {
                    // One attribution vector per target: nested, as the tensor is.
                    let (targets, features) = (tensor.shape[1], tensor.shape[2])
                    json.array(0..<targets) { json, target in
                        let start = (row * targets + target) * features
                        json.array(start..<(start + features)) { json, index in
                            InferenceResponse.appendElement(tensor.storage, at: index, to: &json)
                        }
                    }
                } else {
                    writeRow(tensor, row: row, to: &json)
                }
            }
            json.raw("}")
        }
        json.raw("}")
        return body + json.bytes
    }

    private static func writeRow(_ tensor: Tensor, row: Int, to json: inout JSONWriter) {
        let width = tensor.shape.dropFirst().reduce(1, *)
        let range = (row * width)..<((row + 1) * width)
        if tensor.rank <= 1 {
            InferenceResponse.appendElement(tensor.storage, at: row, to: &json)
        } else {
            json.array(range) { json, index in InferenceResponse.appendElement(tensor.storage, at: index, to: &json) }
        }
    }
}
