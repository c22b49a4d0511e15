import ServiceLifecycle
import Synchronization

/// The listeners' start, in order: nothing reports ready (model_ready, server_ready) until
/// every port is bound, and a port that cannot be bound ends the process with its address in
/// the message instead of after a misleading ready line.
package final class ListenerStartup: Sendable {
    private let expected: Set<String>
    private let bound = Mutex<Set<String>>([])

    package init(listeners: [String]) { expected = Set(listeners) }

    package func markBound(_ listener: String) { bound.withLock { _ = $0.insert(listener) } }

    package func isBound(_ listener: String) -> Bool { bound.withLock { $0.contains(listener) } }

    /// Returns once every listener is bound; throws when cancelled (a listener failed).
    package func waitUntilAllBound() async throws {
        // Start-up only, a few milliseconds: polling keeps cancellation trivial.
        while bound.withLock({ $0 != expected }) { try await Task.sleep(for: .milliseconds(5)) }
    }
}

/// A listener that could not start, named by its address.
public struct ListenerFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Runs one listener; a failure before it is bound becomes a `ListenerFailure` naming the
/// address and port (NIO's bind error names neither).
package struct Listener<Server: Service>: Service {
    package let name: String
    package let address: String
    package let server: Server
    package let startup: ListenerStartup

    package func run() async throws {
        do {
            try await server.run()
        } catch  where !startup.isBound(name) {
            throw ListenerFailure(description: "cannot listen on \(address) (\(name) port): \(error)")
        }
    }

    package init(name: String, address: String, server: Server, startup: ListenerStartup) {
        self.name = name
        self.address = address
        self.server = server
        self.startup = startup
    }
}
