import Synchronization

/// Server-wide lifecycle state: set to draining at the first shutdown signal, so readiness
/// turns false at once while in-flight requests finish.
public final class ServerState: Sendable {
    private let draining = Atomic<Bool>(false)
    private let readinessWarnings = Mutex<[String: String]>([:])
    public let repository: ModelRepository
    /// Which version answers unversioned requests, and the canary analysis (nil in tests that
    /// need no release management).
    public let releases: ReleaseManager?
    /// Whether admission has been saturated too long to take more traffic (set by the server).
    private let saturation = Mutex<(@Sendable () -> Bool)?>(nil)

    /// Whether one servable model suffices for Ready.
    public let readiness: Readiness
    /// Set once warm-up has tried every model: under `any`, readiness waits for that, so a
    /// load balancer does not send traffic for models still loading.
    private let warmUpDone = Atomic<Bool>(false)

    public init(repository: ModelRepository, releases: ReleaseManager? = nil, readiness: Readiness? = nil) {
        self.repository = repository
        self.releases = releases
        self.readiness = readiness ?? (Set(repository.models.map(\.name)).count > 1 ? .any : .all)
    }

    package func finishWarmUp() { warmUpDone.store(true, ordering: .releasing) }

    public var isDraining: Bool { draining.load(ordering: .acquiring) }

    /// Conditions an operator should act on that do not (yet) make the server unready, such
    /// as a certificate close to expiry: reported in the readiness body on the serving port.
    public var warnings: [String] {
        readinessWarnings.withLock { found in found.keys.sorted().compactMap { found[$0] } } + repository.unavailableVersions
    }

    package func setWarning(_ key: String, _ message: String?) {
        readinessWarnings.withLock { $0[key] = message }
    }

    public func beginDraining() { draining.store(true, ordering: .releasing) }

    package func watchSaturation(_ isSaturatedTooLong: @escaping @Sendable () -> Bool) {
        saturation.withLock { $0 = isSaturatedTooLong }
    }

    /// Every slot busy with requests waiting, for longer than configured.
    public var isSaturated: Bool { saturation.withLock { $0 }?() ?? false }

    /// Ready: the models warmed up and servable as `readiness` asks, not shutting down, and not
    /// saturated for too long (so the load balancer sends the excess to other replicas).
    public var isReady: Bool {
        guard !isDraining, !isSaturated else { return false }
        return readiness == .all ? repository.isReady(.all) : warmUpDone.load(ordering: .acquiring) && repository.isReady(.any)
    }
}
