import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import WardenGRPCProtocol

// warden-grpc-bench: the gRPC side of benchmarks/grpc_vs_rest.py.
//   ceiling PORT            a bare grpc-swift unary ModelInfer handler answering a fixed response:
//                           the most this gRPC stack can serve on the core it is given
//   load PORT REQUEST N S   N concurrent callers sending the serialized ModelInferRequest in
//                           REQUEST for S seconds; prints {"requests", "errors", "p50_ms", "p99_ms"}

/// Answers every ModelInfer with one small fixed response, after decoding the request: the
/// protocol's cost without any inference.
struct CeilingService: Inference_GRPCInferenceService.SimpleServiceProtocol {
    let answer: Inference_ModelInferResponse = {
        var response = Inference_ModelInferResponse()
        response.modelName = "churn"
        response.modelVersion = "1"
        var label = Inference_ModelInferResponse.InferOutputTensor()
        label.name = "label"
        label.datatype = "INT64"
        label.shape = [1]
        response.outputs = [label]
        response.rawOutputContents = [Data(count: 8)]
        return response
    }()

    func serverLive(request: Inference_ServerLiveRequest, context: ServerContext) async throws -> Inference_ServerLiveResponse {
        var response = Inference_ServerLiveResponse()
        response.live = true
        return response
    }

    func serverReady(request: Inference_ServerReadyRequest, context: ServerContext) async throws -> Inference_ServerReadyResponse {
        var response = Inference_ServerReadyResponse()
        response.ready = true
        return response
    }

    func modelReady(request: Inference_ModelReadyRequest, context: ServerContext) async throws -> Inference_ModelReadyResponse {
        Inference_ModelReadyResponse()
    }

    func serverMetadata(
        request: Inference_ServerMetadataRequest, context: ServerContext
    ) async throws -> Inference_ServerMetadataResponse {
        Inference_ServerMetadataResponse()
    }

    func modelMetadata(
        request: Inference_ModelMetadataRequest, context: ServerContext
    ) async throws -> Inference_ModelMetadataResponse {
        Inference_ModelMetadataResponse()
    }

    func modelInfer(request: Inference_ModelInferRequest, context: ServerContext) async throws -> Inference_ModelInferResponse {
        answer
    }
}

func ceiling(port: Int) async throws {
    let server = GRPCServer(
        transport: .http2NIOPosix(address: .ipv4(host: "127.0.0.1", port: port), transportSecurity: .plaintext),
        services: [CeilingService()])
    try await server.serve()
}

func load(port: Int, requestFile: String, callers: Int, seconds: Double) async throws {
    let request = try Inference_ModelInferRequest(serializedBytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: requestFile))))
    try await withGRPCClient(
        transport: .http2NIOPosix(target: .ipv4(host: "127.0.0.1", port: port), transportSecurity: .plaintext)
    ) { client in
        let inference = Inference_GRPCInferenceService.Client(wrapping: client)
        let end = ContinuousClock.now + .seconds(seconds)
        let results = try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
            for _ in 0..<callers {
                group.addTask {
                    var latencies: [Double] = []
                    var errors = 0
                    while ContinuousClock.now < end {
                        let start = ContinuousClock.now
                        do {
                            _ = try await inference.modelInfer(request)
                            let elapsed = ContinuousClock.now - start
                            latencies.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
                        } catch {
                            errors += 1
                        }
                    }
                    return (latencies, errors)
                }
            }
            return try await group.reduce(into: ([Double](), 0)) { $0.0 += $1.0; $0.1 += $1.1 }
        }
        let sorted = results.0.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))] }
        print(
            "{\"requests\": \(sorted.count), \"errors\": \(results.1), \"seconds\": \(seconds), "
                + "\"p50_ms\": \(percentile(0.5)), \"p99_ms\": \(percentile(0.99))}")
        client.beginGracefulShutdown()
    }
}

let arguments = CommandLine.arguments
switch (arguments.count > 1 ? arguments[1] : "", arguments.count) {
case ("ceiling", 3):
    try await ceiling(port: Int(arguments[2])!)
case ("load", 6):
    try await load(port: Int(arguments[2])!, requestFile: arguments[3], callers: Int(arguments[4])!, seconds: Double(arguments[5])!)
default:
    FileHandle.standardError.write(Data("usage: warden-grpc-bench ceiling PORT | load PORT REQUEST CALLERS SECONDS\n".utf8))
    exit(2)
}
