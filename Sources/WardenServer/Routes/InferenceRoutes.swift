import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WardenJSON
import WardenONNX
import WardenServing

/// Open Inference Protocol v2 inference and KServe v1 prediction over HTTP: the codecs turn a
/// body into an `InferenceCall` and an `InferenceResult` into bytes; everything between is
/// the serving core's pipeline.
struct InferenceRoutes {
    let pipeline: InferencePipeline
    let limits: ServingLimits
    /// The mutual-TLS rules, which decide who may ask for explanations; nil without TLS (no
    /// identities, nothing to decide on).
    var authorization: Authorization?

    func register(on router: Router<WardenRequestContext>) {
        router.post("/v2/models/{model}/infer") { request, context in
            try await infer(request, context, version: nil)
        }
        router.post("/v2/models/{model}/versions/{version}/infer") { request, context in
            try await infer(request, context, version: context.parameters.get("version"))
        }
        router.post("/v1/models/{model}:predict") { request, context in
            try await predict(request, context, explain: false)
        }
        router.post("/v1/models/{model}:explain") { request, context in
            try await predict(request, context, explain: true)
        }
        for path in [
            "/v2/models/{model}/infer", "/v2/models/{model}/versions/{version}/infer", "/v1/models/{model}:predict",
            "/v1/models/{model}:explain",
        ] {
            MethodNotAllowed.register(RouterPath(path), allowing: [.post], on: router)
        }
    }

    /// The call the pipeline runs: the path's model and version, who asks, the deadline the
    /// client asked for, the split header, and the codec that decodes the body.
    func call(
        _ request: Request, _ context: WardenRequestContext, version: String?, route: InferenceCall.Route,
        decode: @escaping @Sendable (ModelContract) async throws -> DecodedInputs
    ) -> InferenceCall {
        let headers = request.headers
        let model = context.parameters.get("model") ?? ""
        var call = InferenceCall(
            model: model, version: version, client: context.clientIdentity,
            requestID: context.requestID, route: route, routeLabel: context.endpointPath ?? "", arrival: .now,
            requestedTimeout: Result { () throws(ServingFailure) -> Duration? in try RequestedTimeout.read(headers) },
            header: { name in HTTPField.Name(name).flatMap { headers[$0] } }, decode: decode)
        // Only a connection seen open can be seen to close (a router test's channel never opens).
        if let channel = context.channel, channel.isActive { call.clientGone = { !channel.isActive } }
        if let authorization {
            let client = context.clientIdentity
            call.mayExplain = {
                client.flatMap { try? SPIFFEID(parsing: $0) }.map { authorization.allows($0, routeClass: .explain, model: model) } ?? false
            }
        }
        return call
    }

    /// Checks Content-Type and Content-Encoding, then reads the body within the size limit.
    func body(_ request: Request, binaryAllowed: Bool) async throws -> (bytes: [UInt8], jsonLength: Int?) {
        if let encoding = request.headers[.contentEncoding], encoding.lowercased() != "identity" {
            throw ServingFailure(.unsupportedContentEncoding, "only identity Content-Encoding is supported")
        }
        var jsonLength: Int?
        if binaryAllowed, let header = request.headers[.inferenceHeaderContentLength] {
            guard let length = Int(header), length >= 0 else {
                throw ServingFailure.badRequest(.invalidHeaderLength, "Inference-Header-Content-Length must be a non-negative integer")
            }
            jsonLength = length
        }
        let mediaType = request.headers[.contentType].map(HeaderToken.mediaType)
        switch mediaType {
        case "application/json"?: break
        case "application/octet-stream"? where jsonLength != nil: break
        case nil where !limits.requireContentType: break
        default: throw ServingFailure.unsupportedMediaType(request.headers[.contentType])
        }
        // Refused before a byte of the body is read; a length too large even for an integer is too large.
        if let declared = request.headers[.contentLength], !declared.isEmpty, declared.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            Int(declared).map({ $0 > limits.maxBodyBytes }) ?? true
        {
            throw ServingFailure.payloadTooLarge(limit: limits.maxBodyBytes)
        }
        let buffer = try await request.collectBody(limit: limits.maxBodyBytes)
        return (Array(buffer.readableBytesView), jsonLength)
    }

    func infer(_ request: Request, _ context: WardenRequestContext, version: String?) async throws -> Response {
        let decoded = LockedBox<InferenceRequest?>(nil)
        let outcome = context.outcome
        let v2Call = call(request, context, version: version, route: .infer) { contract in
            outcome.readingBody()
            let (bytes, jsonLength) = try await body(request, binaryAllowed: true)
            // The common JSON request in one pass; anything else (and every refusal) the general way.
            let fast = jsonLength == nil ? OIPFastDecoder.decode(bytes, contract: contract, limits: limits.json) : nil
            let parsed = try fast ?? InferenceRequest(body: bytes, jsonLength: jsonLength, contract: contract, limits: limits.json)
            decoded.value = parsed
            return DecodedInputs(feeds: parsed.feeds, outputs: parsed.outputs.map(\.name), timeout: parsed.timeout, explain: parsed.explain)
        }
        let result = try await pipeline.run(v2Call)
        context.outcome.answered(by: result.model)
        guard let parsed = decoded.value else { throw ServingFailure(.internalError, "internal error") }
        // The explanation's outputs follow the model's, in the pipeline's order.
        let explained = result.requested.filter { name in !parsed.outputs.contains { $0.name == name } }.map {
            InferenceRequest.RequestedOutput(name: $0, binary: parsed.binaryByDefault)
        }
        let response = RequestPhase.run("encode") {
            InferenceResponse(
                model: result.model, requestID: parsed.id, outputs: (parsed.outputs + explained).filter { result.outputs[$0.name] != nil },
                results: result.outputs)
        }
        var headers = modelHeaders(result.model, context)
        if let jsonLength = response.jsonLength {
            headers[.inferenceHeaderContentLength] = String(jsonLength)
            headers[.contentType] = "application/octet-stream"
        } else {
            headers[.contentType] = "application/json"
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: response.body)))
    }

    /// KServe v1 `:predict`, and `:explain`: the same predictions with each instance's explanation.
    func predict(_ request: Request, _ context: WardenRequestContext, explain: Bool) async throws -> Response {
        let outcome = context.outcome
        let v1Call = call(request, context, version: nil, route: .predict) { contract in
            outcome.readingBody()
            let (bytes, _) = try await body(request, binaryAllowed: false)
            return DecodedInputs(
                feeds: try KServeV1.feeds(body: bytes, contract: contract, limits: limits.json), explain: explain ? ExplainRequest() : nil)
        }
        let result = try await pipeline.run(v1Call)
        context.outcome.answered(by: result.model)
        var headers = modelHeaders(result.model, context)
        headers[.contentType] = "application/json"
        let outputs = result.requested.filter { result.outputs[$0] != nil }
        let encoded = RequestPhase.run("encode") {
            explain ? KServeV1.explanations(result.outputs, outputs: outputs) : KServeV1.predictions(result.outputs, outputs: outputs)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: encoded)))
    }

    func modelHeaders(_ model: ServedModelIdentity, _ context: WardenRequestContext) -> HTTPFields {
        var headers = HTTPFields()
        headers[.requestID] = context.requestID
        headers.name(model)
        return headers
    }
}
