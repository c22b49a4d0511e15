import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Logging
import ServiceLifecycle
import WardenServing

/// A gRPC listener as a service of the group: serves until graceful shutdown, then lets the
/// calls in flight finish (gRPC's own drain: GOAWAY, then close once they are done). Marks
/// itself bound for `ListenerStartup`, and logs its port (`--grpc-port 0` picks one).
struct GRPCListener: Service {
    let name: String
    let factory: GRPCListenerFactory
    let services: [any RegistrableRPCService]
    /// The transport's limits: the largest request message, HTTP/2 streams per connection.
    let config: HTTP2ServerTransport.Custom<GRPCListenerFactory>.Config
    let startup: ListenerStartup
    let logger: Logger

    func run() async throws {
        let transport = HTTP2ServerTransport.Custom(listenerFactory: factory, config: config)
        let server = GRPCServer(transport: transport, services: services)
        try await withGracefulShutdownHandler {
            // Every call's task inherits the preference: handlers run on the event loops.
            try await withTaskExecutorPreference(EventLoopTaskExecutor()) {
                try await serve(server, transport)
            }
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }

    private func serve(
        _ server: GRPCServer<HTTP2ServerTransport.Custom<GRPCListenerFactory>>,
        _ transport: HTTP2ServerTransport.Custom<GRPCListenerFactory>
    ) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await server.serve() }
            if let address = await transport.listeningAddress {
                startup.markBound(name)
                logger.info(
                    "listening",
                    metadata: [
                        "event": "listening", "listener": .string(name),
                        "port": .stringConvertible(address.ipv4?.port ?? address.ipv6?.port ?? 0),
                    ])
            }
        }
    }
}
