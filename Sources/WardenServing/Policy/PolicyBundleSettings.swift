import WardenConfig

/// Where the signed request-policy bundle is and how it is watched (`policies.bundle:`).
public struct PolicyBundleSettings: Sendable {
    /// The bundle's tag: `HOST/REPOSITORY:TAG` or `oci:PATH:TAG`.
    public var reference: String
    /// The trust policy whose `policy_signers` may sign bundles.
    public var trustPolicyFile: String
    /// Time between polls, at least 1 s; each wait is shortened by up to `jitter` of it, so
    /// replicas started together do not poll the registry in step.
    public var interval: Duration = .seconds(10)
    public var jitter = 0.2
    /// A replica's own bound on a bundle's age (the shorter of this and the bundle's
    /// `max_age_seconds` applies); nil: the bundle's alone.
    public var maxAge: Duration?
    /// Past its max age the bundle's decisions fail closed (every version switched off); false
    /// keeps enforcing the last good bundle and only warns.
    public var failClosedWhenStale = true
    /// The lowest revision ever accepted, even by a replica that has seen none.
    public var minimumRevision: Int64 = 0
    public var registryCredentialsFile: String?
    package var breaker = CircuitBreaker.Settings(failureThreshold: 3, openDuration: .seconds(30))

    public init(reference: String, trustPolicyFile: String) {
        self.reference = reference
        self.trustPolicyFile = trustPolicyFile
    }

    package init(reading map: inout StrictMapping) throws {
        guard let reference = try map.string("reference") else {
            throw ConfigurationError("policies.bundle.reference is required (HOST/REPO:TAG or oci:PATH:TAG)")
        }
        guard let trust = try map.string("trust_policy") else { throw ConfigurationError("policies.bundle.trust_policy is required") }
        self.init(reference: reference, trustPolicyFile: trust)
        if let seconds = try map.seconds("interval_seconds") {
            guard seconds >= .seconds(1) else { throw ConfigurationError("policies.bundle.interval_seconds must be at least 1") }
            interval = seconds
        }
        if let ratio = try map.number("jitter") {
            guard (0...0.5).contains(ratio) else {
                throw ConfigurationError("policies.bundle.jitter must be in 0...0.5 (a share of the interval)")
            }
            jitter = ratio
        }
        if let seconds = try map.seconds("max_age_seconds") {
            guard seconds >= .seconds(1) else { throw ConfigurationError("policies.bundle.max_age_seconds must be at least 1") }
            maxAge = seconds
        }
        failClosedWhenStale = try map.bool("fail_closed_when_stale") ?? failClosedWhenStale
        minimumRevision = Int64(try map.nonNegativeInt("minimum_revision") ?? 0)
        registryCredentialsFile = try map.string("registry_credentials")
        try map.finish()
    }

    /// The wait before the next poll: the interval less a random share of up to `jitter`.
    package func nextWait() -> Duration { interval * (1 - Double.random(in: 0...jitter)) }
}
