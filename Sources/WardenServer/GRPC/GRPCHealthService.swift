import GRPCCore
import WardenGRPCProtocol
import WardenServing

/// `grpc.health.v1.Health`, what Kubernetes' gRPC probes and grpc-health-probe call. The
/// service "" (and `inference.GRPCInferenceService`) is the server's readiness, as `/readyz`;
/// a model name (or `inference.GRPCInferenceService/MODEL`) is that model's; anything else is
/// unknown (NOT_FOUND for Check, SERVICE_UNKNOWN for Watch).
struct GRPCHealthService: Grpc_Health_V1_Health.ServiceProtocol {
    let state: ServerState
    /// How often Watch looks for a change.
    var watchInterval: Duration = .milliseconds(250)

    func status(of service: String) -> Grpc_Health_V1_HealthCheckResponse.ServingStatus? {
        let prefix = GRPCCalls.service + "/"
        switch service {
        case "", GRPCCalls.service: return state.isReady ? .serving : .notServing
        default:
            let name = service.hasPrefix(prefix) ? String(service.dropFirst(prefix.count)) : service
            guard let model = state.repository.model(name) else { return nil }
            return model.isReady && state.isReady ? .serving : .notServing
        }
    }

    func check(
        request: ServerRequest<Grpc_Health_V1_HealthCheckRequest>, context: ServerContext
    ) async throws -> ServerResponse<Grpc_Health_V1_HealthCheckResponse> {
        guard let status = status(of: request.message.service) else {
            throw RPCError(code: .notFound, message: "unknown service (the server is \"\", a model is its name)")
        }
        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = status
        return ServerResponse(message: response)
    }

    func watch(
        request: ServerRequest<Grpc_Health_V1_HealthCheckRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<Grpc_Health_V1_HealthCheckResponse> {
        let service = request.message.service
        return StreamingServerResponse { writer in
            var last: Grpc_Health_V1_HealthCheckResponse.ServingStatus?
            while !Task.isCancelled {
                let now = status(of: service) ?? .serviceUnknown
                if now != last {
                    var response = Grpc_Health_V1_HealthCheckResponse()
                    response.status = now
                    try await writer.write(response)
                    last = now
                }
                try await Task.sleep(for: watchInterval)
            }
            return [:]
        }
    }
}
