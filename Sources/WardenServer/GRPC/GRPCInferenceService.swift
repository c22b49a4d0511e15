import Foundation
import GRPCCore
import Logging
import Tracing
import WardenGRPCProtocol
import WardenServing

/// `inference.GRPCInferenceService`, the Open Inference Protocol v2 over gRPC: the same
/// pipeline as REST (version routing, admission, contracts, kill switch, revocation), the same
/// mutual TLS and SPIFFE authorization per method and model, and one log line, one metric
/// sample and one span per call, labelled `grpc`.
struct GRPCInferenceService: Inference_GRPCInferenceService.ServiceProtocol {
    let state: ServerState
    let pipeline: InferencePipeline
    let selection: VersionSelection
    let calls: GRPCCalls
    let limits: ServingLimits

    func serverLive(
        request: ServerRequest<Inference_ServerLiveRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ServerLiveResponse> {
        try await calls.handle("ServerLive", routeClass: .metadata, model: nil, request.metadata, context) { _ in
            var response = Inference_ServerLiveResponse()
            response.live = true
            return response
        }
    }

    func serverReady(
        request: ServerRequest<Inference_ServerReadyRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ServerReadyResponse> {
        try await calls.handle("ServerReady", routeClass: .metadata, model: nil, request.metadata, context) { _ in
            var response = Inference_ServerReadyResponse()
            response.ready = state.isReady
            return response
        }
    }

    func modelReady(
        request: ServerRequest<Inference_ModelReadyRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ModelReadyResponse> {
        let name = request.message.name
        let version = request.message.version.isEmpty ? nil : request.message.version
        return try await calls.handle("ModelReady", routeClass: .metadata, model: name, request.metadata, context) { call in
            var response = Inference_ModelReadyResponse()
            // An unknown model or version is not ready, as tritonclient expects of Triton.
            do {
                let model = try served(name, version: version, call: call, metadata: request.metadata)
                response.ready = model.isReady && !state.isDraining
            } catch let failure as ServingFailure where failure.code == .notFound {
                response.ready = false
            }
            return response
        }
    }

    func serverMetadata(
        request: ServerRequest<Inference_ServerMetadataRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ServerMetadataResponse> {
        try await calls.handle("ServerMetadata", routeClass: .metadata, model: nil, request.metadata, context) { _ in
            var response = Inference_ServerMetadataResponse()
            response.name = "warden"
            response.version = MetadataRoutes.serverVersion
            response.extensions = ["binary_tensor_data"]
            return response
        }
    }

    func modelMetadata(
        request: ServerRequest<Inference_ModelMetadataRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ModelMetadataResponse> {
        let name = request.message.name
        let version = request.message.version.isEmpty ? nil : request.message.version
        return try await calls.handle("ModelMetadata", routeClass: .metadata, model: name, request.metadata, context) { call in
            let model = try served(name, version: version, call: call, metadata: request.metadata)
            var response = Inference_ModelMetadataResponse()
            response.name = model.name
            response.versions = state.repository.versions(of: model.name)
            response.platform = "onnx"
            response.inputs = model.contract.inputs.map(Self.tensorMetadata)
            response.outputs = model.contract.outputs.map(Self.tensorMetadata)
            return response
        }
    }

    func modelInfer(
        request: ServerRequest<Inference_ModelInferRequest>, context: ServerContext
    ) async throws -> ServerResponse<Inference_ModelInferResponse> {
        let message = request.message
        let headers = request.metadata
        return try await calls.handle("ModelInfer", routeClass: .infer, model: message.modelName, headers, context) { call in
            guard GRPCInferRequest.payloadBytes(message) <= limits.maxBodyBytes else {
                throw ServingFailure.payloadTooLarge(limit: limits.maxBodyBytes)
            }
            let decoded = LockedBox<GRPCInferRequest?>(nil)
            var inference = InferenceCall(
                model: message.modelName, version: message.modelVersion.isEmpty ? nil : message.modelVersion, client: call.client,
                requestID: call.requestID, routeLabel: call.route, arrival: call.arrival,
                requestedTimeout: Result { () throws(ServingFailure) -> Duration? in try GRPCTimeout.read(headers) },
                header: { name in headers.firstString(name) }
            ) { contract in
                let parsed = try GRPCInferRequest(message, contract: contract)
                decoded.value = parsed
                return DecodedInputs(feeds: parsed.feeds, outputs: parsed.outputs, timeout: parsed.timeout, explain: parsed.explain)
            }
            inference.mayExplain = { calls.mayExplain(call, model: message.modelName) }
            let result = try await pipeline.run(inference)
            call.outcome.answered(by: result.model)
            return RequestPhase.run("encode") {
                GRPCInferResponse.make(result, id: message.id, raw: decoded.value?.rawOutputs ?? true)
            }
        }
    }

    /// The version a metadata call is about, after the request policy (when there is one) has
    /// its say, as `ModelAccessMiddleware` asks it for REST.
    private func served(_ name: String, version: String?, call: GRPCCall, metadata: Metadata) throws -> ServedModel {
        if selection.policy != nil {
            let routed =
                version == nil
                ? selection.routed(model: name, releaseClient: call.client ?? call.requestID) { metadata.firstString($0) } : nil
            let asker = VersionSelection.Asker(client: call.client, requestID: call.requestID, route: "metadata", method: "POST")
            _ = try selection.authorize(model: name, pinned: version, routed: routed, asker: asker)
        }
        return try state.repository.servedModel(name, version: version)
    }

    static func tensorMetadata(_ spec: TensorSpec) -> Inference_ModelMetadataResponse.TensorMetadata {
        var metadata = Inference_ModelMetadataResponse.TensorMetadata()
        metadata.name = spec.name
        metadata.datatype = spec.datatype.rawValue
        metadata.shape = spec.shape.map(Int64.init)
        return metadata
    }
}
