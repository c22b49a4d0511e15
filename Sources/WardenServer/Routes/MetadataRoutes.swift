import Hummingbird
import NIOCore
import WardenJSON
import WardenServing

/// Server and model metadata, and health, as the Open Inference Protocol and KServe v1 define them.
struct MetadataRoutes {
    let state: ServerState
    static let serverVersion = "0.1.0"

    static let getRoutes = [
        "/v2", "/v2/health/live", "/v2/health/ready", "/v2/models/{model}", "/v2/models/{model}/versions/{version}",
        "/v2/models/{model}/ready", "/v2/models/{model}/versions/{version}/ready", "/v1/models/{model}",
    ]

    func register(on router: Router<WardenRequestContext>) {
        for path in Self.getRoutes { MethodNotAllowed.register(RouterPath(path), allowing: [.get], on: router) }
        router.get("/v2") { _, context in
            json(
                .object([
                    ("name", .string("warden")), ("version", .string(Self.serverVersion)),
                    ("extensions", .array([.string("binary_tensor_data")])),
                ]), context)
        }
        // OIP health bodies: {"live": true} / {"ready": ...}; KServe's SDK parses them.
        router.get("/v2/health/live") { _, context in json(.object([("live", .bool(true))]), context) }
        router.get("/v2/health/ready") { _, context in
            // Warnings (a certificate close to expiry) do not change readiness; they are for operators.
            var body: [(key: String, value: JSONValue)] = [("ready", .bool(state.isReady))]
            let warnings = state.warnings
            if !warnings.isEmpty { body.append(("warnings", .array(warnings.map(JSONValue.string)))) }
            return json(.object(body), context, status: state.isReady ? .ok : .serviceUnavailable)
        }
        router.get("/v2/models/{model}") { _, context in try metadata(context, version: nil) }
        router.get("/v2/models/{model}/versions/{version}") { _, context in
            try metadata(context, version: context.parameters.get("version"))
        }
        router.get("/v2/models/{model}/ready") { _, context in try ready(context, version: nil) }
        router.get("/v2/models/{model}/versions/{version}/ready") { _, context in
            try ready(context, version: context.parameters.get("version"))
        }
        router.get("/v1/models/{model}") { _, context in
            let model = try find(context, version: nil)
            return json(.object([("name", .string(model.name)), ("ready", .bool(model.isReady && !state.isDraining))]), context)
        }
    }

    func find(_ context: WardenRequestContext, version: String?) throws -> ServedModel {
        try state.repository.servedModel(context.parameters.get("model") ?? "", version: version)
    }

    func metadata(_ context: WardenRequestContext, version: String?) throws -> Response {
        let model = try find(context, version: version)
        let contract = model.contract
        return json(
            .object([
                ("name", .string(model.name)),
                ("versions", .array(state.repository.versions(of: model.name).map(JSONValue.string))),
                ("platform", .string("onnx")),
                ("inputs", .array(contract.inputs.map(\.json))),
                ("outputs", .array(contract.outputs.map(\.json))),
                // Beyond OIP's keys: whether this version can answer now, and if not, why.
                ("state", .string(model.availability.tritonState)),
                ("availability", .string(model.availability.rawValue)),
                ("reason", .string(model.unavailableReason ?? "")),
            ]), context)
    }

    func ready(_ context: WardenRequestContext, version: String?) throws -> Response {
        let model = try find(context, version: version)
        let ready = model.isReady && !state.isDraining
        return json(
            .object([("name", .string(model.name)), ("ready", .bool(ready)), ("availability", .string(model.availability.rawValue))]),
            context, status: ready ? .ok : .serviceUnavailable)
    }

    func json(_ value: JSONValue, _ context: WardenRequestContext, status: HTTPResponse.Status = .ok) -> Response {
        JSONResponse.make(value, context, status: status)
    }
}
