import Hummingbird
import NIOCore
import WardenServing

/// `GET /metrics`: the Prometheus text exposition.
enum MetricsRoute {
    static func register(_ metrics: ServerMetrics, models: [ServedModel], on router: Router<WardenRequestContext>) {
        MethodNotAllowed.register("/metrics", allowing: [.get], on: router)
        router.get("/metrics") { _, _ in
            metrics.modelReady(models)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
    }
}
