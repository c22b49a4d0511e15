import Foundation
import NIOCore
import NIOPosix
import ServiceLifecycle
import WardenServing

/// A circuit breaker for the trace collector. swift-otel exports in the background from a
/// bounded queue, so a dead collector never blocks a request; but every sampled span would
/// still be built, queued and dropped. This breaker probes the collector (a TCP connect, every
/// few seconds) and, while it is open, requests start no new traces — the work goes where it
/// can be used. It closes again on the first probe that connects.
final class TelemetryReachability: Sendable {
    let host: String
    let port: Int
    let breaker: CircuitBreaker
    let probeInterval: Duration

    init?(endpoint: String, outbound: OutboundMetrics, probeInterval: Duration = .seconds(2)) {
        guard let url = URLComponents(string: endpoint), let host = url.host, !host.isEmpty else { return nil }
        self.host = host
        port = url.port ?? (url.scheme == "https" ? 443 : 4318)
        self.probeInterval = probeInterval
        breaker = CircuitBreaker(name: "telemetry", settings: .init(failureThreshold: 2, openDuration: probeInterval)) {
            outbound.breakerState("telemetry", $0)
        }
    }

    /// Whether new traces may be started now.
    var allowsTracing: Bool { breaker.state != .open }

    func probe() async {
        _ = try? await breaker.run {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(1))
                .connect(host: host, port: port).get()
            try? await channel.close()
        }
    }
}

/// Probes the collector for as long as the server runs.
struct TelemetryReachabilityService: Service {
    let reachability: TelemetryReachability

    func run() async throws {
        try await PeriodicService(every: reachability.probeInterval, start: .immediately) { await reachability.probe() }.run()
    }
}
