import ServiceLifecycle

/// The canary analysis as a service of its own: requests only ask for a pass (at most once a
/// second, `ReleaseManager.record`); the passes run here, off the request path, and stop with
/// the graceful shutdown.
package struct ReleaseAnalysisService: Service {
    package let releases: ReleaseManager

    package init(releases: ReleaseManager) { self.releases = releases }

    package func run() async throws {
        await cancelWhenGracefulShutdown { await releases.runAnalyses() }
    }
}
