import Hummingbird
import WardenServing

/// The kubelet's probe port: plain HTTP, status codes only, no model data.
enum ProbeRoutes {
    static func router(state: ServerState) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/livez") { _, _ in Response(status: .ok) }
        router.get("/readyz") { _, _ in Response(status: state.isReady ? .ok : .serviceUnavailable) }
        router.get("/healthz") { _, _ in Response(status: state.isReady ? .ok : .serviceUnavailable) }
        return router
    }
}
