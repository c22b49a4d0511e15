/// Who hears the revocation watch's polls (the metrics, in the server).
package protocol RevocationObserver: Sendable {
    /// One poll's result (verified, failed, circuit_open), and the list's serial and expiry when it verified.
    func checked(result: String, serial: Int64?, expiresIn: Double?)
    func expiresIn(_ seconds: Double)
    /// Which served versions are withdrawn now.
    func revoked(_ all: [ServedModel], revoked: [ServedModel])
    /// The registry circuit breaker changed state.
    func breakerState(_ state: CircuitBreaker.State)
}
