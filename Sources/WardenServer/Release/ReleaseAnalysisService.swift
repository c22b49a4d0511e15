import ServiceLifecycle

/// Runs the canary analysis once a second, so a breach rolls back within a second of the
/// window showing it.
struct ReleaseAnalysisService: Service {
    let releases: ReleaseManager?
    var interval: Duration = .seconds(1)

    func run() async throws {
        guard let releases else { return }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            releases.evaluate()
            try? await Task.sleep(for: interval)
        }
    }
}
