/// Who hears the policy bundle watch (the metrics, in the server).
package protocol PolicyBundleObserver: Sendable {
    /// One poll's result: activated, unchanged, rejected, failed or circuit_open.
    func checked(result: String)
    /// The bundle in force changed.
    func activated(revision: Int64, digest: String)
    /// Seconds since the bundle in force was signed, and whether that is past its max age.
    func age(seconds: Double, stale: Bool)
    func breakerState(_ state: CircuitBreaker.State)
}
