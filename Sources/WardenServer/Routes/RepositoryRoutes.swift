import Hummingbird
import NIOCore
import WardenJSON
import WardenServing

/// What the server serves, and how each version has done: the model index (Warden's own
/// `GET /v2/models`, Triton's `POST /v2/repository/index`, KServe v1's `GET /v1/models`) and
/// Triton's statistics extension (`/v2/models[/{m}[/versions/{v}]]/stats`). They are
/// metadata routes: the same authorization applies.
struct RepositoryRoutes {
    let state: ServerState

    func register(on router: Router<WardenRequestContext>) {
        let getRoutes = [
            "/v2/models", "/v1/models", "/v2/models/stats", "/v2/models/{model}/stats", "/v2/models/{model}/versions/{version}/stats",
        ]
        for path in getRoutes { MethodNotAllowed.register(RouterPath(path), allowing: [.get], on: router) }
        MethodNotAllowed.register(RouterPath("/v2/repository/index"), allowing: [.post], on: router)

        router.get("/v2/models") { _, context in JSONResponse.make(.object([("models", .array(modelIndex()))]), context) }
        router.get("/v1/models") { _, context in
            JSONResponse.make(
                .object([("models", .array(Set(state.repository.models.map(\.name)).sorted().map(JSONValue.string)))]), context)
        }
        router.post("/v2/repository/index") { request, context in
            let readyOnly = try await readyFilter(request, context)
            let entries = versions().filter { !readyOnly || $0.isReady }.map { model -> JSONValue in
                .object([
                    ("name", .string(model.name)), ("version", .string(model.version)),
                    ("state", .string(model.availability.tritonState)), ("reason", .string(model.unavailableReason ?? "")),
                ])
            }
            return JSONResponse.make(.array(entries), context)
        }
        router.get("/v2/models/stats") { _, context in statistics(versions(), context) }
        router.get("/v2/models/{model}/stats") { _, context in
            let name = context.parameters.get("model") ?? ""
            _ = try state.repository.servedModel(name, version: nil)  // a 404 naming what is served
            return statistics(versions().filter { $0.name == name }, context)
        }
        router.get("/v2/models/{model}/versions/{version}/stats") { _, context in
            let model = try state.repository.servedModel(context.parameters.get("model") ?? "", version: context.parameters.get("version"))
            return statistics([model], context)
        }
    }

    /// Every version, by name then version.
    func versions() -> [ServedModel] {
        state.repository.models.sorted {
            $0.name != $1.name ? $0.name < $1.name : ModelRepository.versionOrder($0.version, $1.version)
        }
    }

    func modelIndex() -> [JSONValue] {
        let all = versions()
        var names: [String] = []
        for model in all where names.last != model.name { names.append(model.name) }
        return names.map { name in
            let entries = all.filter { $0.name == name }.map { model -> JSONValue in
                .object([
                    ("version", .string(model.version)), ("state", .string(model.availability.tritonState)),
                    ("availability", .string(model.availability.rawValue)),
                    ("reason", .string(model.unavailableReason ?? "")), ("digest", model.digest.map { .string($0.description) } ?? .null),
                ])
            }
            return .object([("name", .string(name)), ("versions", .array(entries))])
        }
    }

    /// Triton's index request body is optional; `{"ready": true}` lists only ready models.
    func readyFilter(_ request: Request, _ context: WardenRequestContext) async throws -> Bool {
        let buffer = try await request.collectBody(limit: 4096)
        guard buffer.readableBytes > 0 else { return false }
        guard let json = try? JSONParser.parse(Array(buffer.readableBytesView)), case .object = json else {
            throw ServingFailure.badRequest(.invalidRequest, "the repository index request must be a JSON object")
        }
        switch json["ready"] {
        case nil: return false
        case let .bool(flag)?: return flag
        default: throw ServingFailure.badRequest(.invalidRequest, "\"ready\" must be true or false")
        }
    }

    func statistics(_ models: [ServedModel], _ context: WardenRequestContext) -> Response {
        func tally(_ t: InferenceStatistics.Tally) -> JSONValue {
            .object([("count", .integer(t.count)), ("ns", .integer(t.nanoseconds))])
        }
        let entries = models.map { model -> JSONValue in
            let stats = model.statistics.snapshot
            return .object([
                ("name", .string(model.name)), ("version", .string(model.version)),
                ("last_inference", .integer(stats.lastInference)), ("inference_count", .integer(stats.inferenceCount)),
                ("execution_count", .integer(stats.executionCount)),
                (
                    "inference_stats",
                    .object([
                        ("success", tally(stats.success)), ("fail", tally(stats.fail)), ("queue", tally(stats.queue)),
                        ("compute_input", tally(stats.computeInput)), ("compute_infer", tally(stats.computeInfer)),
                        ("compute_output", tally(stats.computeOutput)), ("cache_hit", tally(.init())), ("cache_miss", tally(.init())),
                    ])
                ),
                ("batch_stats", .array([])), ("memory_usage", .array([])),
            ])
        }
        return JSONResponse.make(.object([("model_stats", .array(entries))]), context)
    }
}
