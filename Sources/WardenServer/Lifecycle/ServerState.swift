import Synchronization

/// Server-wide lifecycle state: set to draining at the first shutdown signal, so readiness
/// turns false at once while in-flight requests finish.
public final class ServerState: Sendable {
    private let draining = Atomic<Bool>(false)
    private let readinessWarnings = Mutex<[String: String]>([:])
    public let repository: ModelRepository

    public init(repository: ModelRepository) {
        self.repository = repository
    }

    public var isDraining: Bool { draining.load(ordering: .acquiring) }

    /// Conditions an operator should act on that do not (yet) make the server unready, such
    /// as a certificate close to expiry: reported in the readiness body on the serving port.
    public var warnings: [String] {
        readinessWarnings.withLock { found in found.keys.sorted().compactMap { found[$0] } }
    }

    func setWarning(_ key: String, _ message: String?) {
        readinessWarnings.withLock { $0[key] = message }
    }

    public func beginDraining() { draining.store(true, ordering: .releasing) }

    /// Ready: every model loaded and warmed up, and not shutting down.
    public var isReady: Bool { !isDraining && repository.isReady }
}
