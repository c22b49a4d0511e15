import Synchronization

/// Server-wide lifecycle state: set to draining at the first shutdown signal, so readiness
/// turns false at once while in-flight requests finish.
public final class ServerState: Sendable {
    private let draining = Atomic<Bool>(false)
    public let repository: ModelRepository

    public init(repository: ModelRepository) {
        self.repository = repository
    }

    public var isDraining: Bool { draining.load(ordering: .acquiring) }

    public func beginDraining() { draining.store(true, ordering: .releasing) }

    /// Ready: every model loaded and warmed up, and not shutting down.
    public var isReady: Bool { !isDraining && repository.isReady }
}
