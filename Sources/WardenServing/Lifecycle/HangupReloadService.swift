import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP reloads what is reloadable — TLS material, the request policy, the redaction key and
/// the configuration file's release plans — at once, through the same checks their pollers
/// run (each keeps its last good state and audits a failure). Without this, SIGHUP's default
/// action ended the process with no drain.
package struct HangupReloadService: Service {
    package let reloads: [@Sendable () async -> Void]
    package let logger: Logger

    package func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in hangups {
                logger.notice(
                    "SIGHUP: reloading", metadata: ["event": "reload_requested", "reloadables": .stringConvertible(reloads.count)])
                for reload in reloads { await reload() }
            }
        }
    }

    package init(reloads: [@Sendable () async -> Void], logger: Logger) {
        self.reloads = reloads
        self.logger = logger
    }
}
