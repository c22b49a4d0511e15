import WardenJSON
import WardenONNX
import WardenServing

/// An Open Inference Protocol v2 request, checked against the chosen version's contract and turned
/// into engine inputs before anything reaches the engine.
struct InferenceRequest {
    struct RequestedOutput {
        let name: String
        let binary: Bool
    }

    var id: String?
    var feeds: [String: Value]
    /// The outputs to return, in request order (all, in contract order, when none are named).
    var outputs: [RequestedOutput]
    /// The OIP `timeout` parameter (microseconds, as tritonclient sends it): a deadline the
    /// client asks for, applied when shorter than the route's.
    var timeout: Duration?
    /// `parameters.explain`: the answer's explanation is asked for too.
    var explain: ExplainRequest?
    /// `parameters.binary_data_output`: outputs not named in the request (explanations) are binary.
    var binaryByDefault = false

    /// A request whose parts are decoded already (`OIPFastDecoder`).
    init(id: String?, feeds: [String: Value], outputs: [RequestedOutput]) {
        self.id = id
        self.feeds = feeds
        self.outputs = outputs
    }

    /// Decodes `body`. With `jsonLength` (the Inference-Header-Content-Length header) the first
    /// `jsonLength` bytes are the JSON header and the rest are binary tensor data.
    init(body: [UInt8], jsonLength: Int?, contract: ModelContract, limits: JSONParser.Limits) throws {
        let headerEnd = jsonLength ?? body.count
        guard headerEnd >= 0, headerEnd <= body.count else {
            throw ServingFailure.badRequest(
                .invalidHeaderLength, "Inference-Header-Content-Length is \(headerEnd) but the body has \(body.count) bytes")
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(body[..<headerEnd], limits: limits)
        } catch let error as JSONParser.SyntaxError {
            throw ServingFailure.badRequest(.invalidJSON, error.description)
        }
        guard case .object = json else { throw ServingFailure.badRequest(.invalidRequest, "the request must be a JSON object") }

        switch json["id"] {
        case nil: id = nil
        case let .string(text)?:
            guard text.utf8.count <= 256 else { throw ServingFailure.badRequest(.invalidRequest, "\"id\" is longer than 256 bytes") }
            id = text
        default: throw ServingFailure.badRequest(.invalidRequest, "\"id\" must be a string")
        }
        let parameters = json["parameters"]
        if let parameters, case .object = parameters {
        } else if parameters != nil {
            throw ServingFailure.badRequest(.invalidRequest, "\"parameters\" must be an object")
        }
        switch parameters?["timeout"] {
        case nil: timeout = nil
        case let .integer(microseconds)? where microseconds > 0: timeout = .microseconds(microseconds)
        default: throw ServingFailure.badRequest(.invalidTimeout, "parameter \"timeout\" must be a positive number of microseconds")
        }
        explain = try parameters?["explain"].map(Self.explainRequest)

        guard case let .array(inputs)? = json["inputs"] else {
            throw ServingFailure.badRequest(.invalidRequest, "\"inputs\" must be an array of tensors")
        }
        var binary = body[headerEnd...]
        var feeds: [String: Value] = [:]
        for tensor in inputs {
            let (name, value) = try Self.decodeInput(tensor, binary: &binary, contract: contract, limits: limits)
            guard feeds.updateValue(value, forKey: name) == nil else {
                throw ServingFailure.badRequest(.duplicateInput, "input '\(name)' is given twice")
            }
        }
        guard binary.isEmpty else {
            throw ServingFailure.badRequest(.binarySizeMismatch, "\(binary.count) bytes of binary data are not claimed by any input")
        }
        for spec in contract.requestInputs where feeds[spec.name] == nil {
            throw ServingFailure.badRequest(.missingInput, "input '\(spec.name)' is required")
        }
        self.feeds = feeds

        let binaryByDefault = parameters?["binary_data_output"] == .bool(true)
        self.binaryByDefault = binaryByDefault
        switch json["outputs"] {
        case nil:
            outputs = contract.outputs.map { RequestedOutput(name: $0.name, binary: binaryByDefault) }
        case let .array(requested)?:
            var seen = Set<String>()
            outputs = try requested.map { item in
                guard case let .string(name)? = item["name"] else {
                    throw ServingFailure.badRequest(.invalidRequest, "each requested output needs a \"name\"")
                }
                guard contract.outputs.contains(where: { $0.name == name }) else {
                    throw ServingFailure.badRequest(
                        .unknownOutput,
                        "the request names an output the model does not have (outputs: \(contract.outputs.map(\.name).joined(separator: ", ")))"
                    )
                }
                guard seen.insert(name).inserted else {
                    throw ServingFailure.badRequest(.duplicateOutput, "output '\(name)' is requested twice")
                }
                let flag = item["parameters"]?["binary_data"]
                return RequestedOutput(name: name, binary: flag.map { $0 == .bool(true) } ?? binaryByDefault)
            }
        default:
            throw ServingFailure.badRequest(.invalidRequest, "\"outputs\" must be an array")
        }
    }

    /// `{"explain": {"top_k": K}}` (K reason codes per row, 0...64, default 5), or `{"explain": true}`.
    static func explainRequest(_ json: JSONValue) throws -> ExplainRequest {
        switch json {
        case .bool(true): return ExplainRequest()
        case let .object(members) where members.allSatisfy({ $0.key == "top_k" }):
            switch json["top_k"] {
            case nil: return ExplainRequest()
            case let .integer(k)? where (0...Int64(ExplainRequest.maximumTopK)).contains(k): return ExplainRequest(topK: Int(k))
            default: break
            }
        default: break
        }
        throw ServingFailure.badRequest(
            .invalidRequest, "parameter \"explain\" must be true or {\"top_k\": K} with K in 0...\(ExplainRequest.maximumTopK)")
    }

    private static func decodeInput(
        _ tensor: JSONValue, binary: inout ArraySlice<UInt8>, contract: ModelContract, limits: JSONParser.Limits
    ) throws -> (String, Value) {
        guard case let .string(name)? = tensor["name"] else {
            throw ServingFailure.badRequest(.invalidRequest, "each input needs a \"name\"")
        }
        let rawType: String? = if case let .string(text)? = tensor["datatype"] { text } else { nil }
        let header = try RequestTensorHeader(
            name: name, datatype: rawType,
            shape: { () throws -> [Int64]? in
                guard case let .array(values)? = tensor["shape"] else { return nil }
                return try values.map { value -> Int64 in
                    guard case let .integer(dim) = value else {
                        throw ServingFailure.badRequest(
                            .invalidShape, "input '\(name)': shape dimensions must be integers in 0...\(RequestTensorHeader.maxElements)")
                    }
                    return dim
                }
            }, contract: contract)
        let (datatype, target, shape, count) = (header.datatype, header.target, header.shape, header.count)

        let storage: TensorStorage
        if let size = tensor["parameters"]?["binary_data_size"] {
            guard case let .integer(bytes) = size, bytes >= 0, bytes <= Int64(binary.count) else {
                throw ServingFailure.badRequest(
                    .binarySizeMismatch, "input '\(name)': binary_data_size exceeds the \(binary.count) binary bytes left")
            }
            guard tensor["data"] == nil else {
                throw ServingFailure.badRequest(.invalidRequest, "input '\(name)' has both \"data\" and binary data")
            }
            let slice = binary.prefix(Int(bytes))
            binary = binary.dropFirst(Int(bytes))
            storage = try TensorDecoding.fromBinary(slice, datatype: datatype, count: count, target: target, input: name)
        } else if let data = tensor["data"] {
            storage = try TensorDecoding.fromJSON(data, datatype: datatype, count: count, target: target, input: name)
        } else {
            throw ServingFailure.badRequest(.missingData, "input '\(name)' has neither \"data\" nor binary_data_size")
        }
        return (name, .tensor(Tensor(shape: shape, storage: storage)))
    }
}
