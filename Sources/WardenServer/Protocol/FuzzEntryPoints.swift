import Foundation
import WardenJSON
import WardenONNX
import WardenServing

/// The request decoders and the peer verifier as the libFuzzer targets in `Fuzz/` drive them:
/// the same code the server runs on untrusted bytes, reachable without a listener.
public enum FuzzEntryPoints {
    /// A model to decode against: loaded from `directory` and warmed up (the fuzzers see no
    /// serving-core types; this opaque box carries one).
    public struct DecodingModel: Sendable {
        let model: ServedModel

        public init(directory: String) throws {
            model = try ServedModel.load(directory: directory)
            try model.warmUp()
        }
    }

    /// Decodes an OIP v2 body (JSON, or JSON header + binary when `jsonLength` is set) and a
    /// KServe v1 body for `model`, and checks the input contract; refusals are expected, traps
    /// and crashes are findings.
    public static func decode(_ body: [UInt8], jsonLength: Int?, model target: DecodingModel) {
        let model = target.model
        let limits = ServingLimits().json
        let request = try? InferenceRequest(body: body, jsonLength: jsonLength, contract: model.contract, limits: limits)
        if let request {
            try? model.enforcement.checkInputs(request.feeds)
        }
        // The one-pass decoder answers only where the general one gives the same request.
        if jsonLength == nil, let fast = OIPFastDecoder.decode(body, contract: model.contract, limits: limits) {
            guard let request, fast.isSameRequest(as: request) else {
                preconditionFailure("the one-pass OIP decoder and the general decoder disagree")
            }
        }
        if jsonLength == nil, let feeds = try? KServeV1.feeds(body: body, contract: model.contract, limits: limits) {
            try? model.enforcement.checkInputs(feeds)
        }
    }

    /// Verifies a client chain (DER certificates) against `roots`, as a handshake would.
    public static func verifyPeer(_ chain: [[UInt8]], roots: PeerVerifier) async {
        _ = try? await roots.identity(ofChain: chain)
    }
}
