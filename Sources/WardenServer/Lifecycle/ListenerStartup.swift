import ServiceLifecycle
import Synchronization

/// The listeners' start, in order: nothing reports ready (model_ready, server_ready) until
/// every port is bound, and a port that cannot be bound ends the process with its address in
/// the message instead of after a misleading ready line.
final class ListenerStartup: Sendable {
    private let expected: Set<String>
    private let bound = Mutex<Set<String>>([])

    init(listeners: [String]) { expected = Set(listeners) }

    func markBound(_ listener: String) { bound.withLock { _ = $0.insert(listener) } }

    func isBound(_ listener: String) -> Bool { bound.withLock { $0.contains(listener) } }

    /// Returns once every listener is bound; throws when cancelled (a listener failed).
    func waitUntilAllBound() async throws {
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
struct Listener<Server: Service>: Service {
    let name: String
    let address: String
    let server: Server
    let startup: ListenerStartup

    func run() async throws {
        do {
            try await server.run()
        } catch  where !startup.isBound(name) {
            throw ListenerFailure(description: "cannot listen on \(address) (\(name) port): \(error)")
        }
    }
}
