import Synchronization

/// A token bucket per client SPIFFE ID: a client over its own rate gets 429 while others are
/// served. Buckets for idle clients are dropped, so the map stays bounded however many
/// identities a trust domain holds.
package final class ClientQuota: Sendable {
    package struct Settings: Sendable, Equatable {
        /// Requests per second a client may sustain.
        package var ratePerSecond: Double
        /// Requests a client may send at once after being idle.
        package var burst: Double

        package init(ratePerSecond: Double, burst: Double) {
            self.ratePerSecond = ratePerSecond
            self.burst = burst
        }
    }

    private struct Bucket {
        package var tokens: Double
        package var updated: ContinuousClock.Instant
    }

    /// Beyond this many tracked clients, full buckets are forgotten (they equal a new one).
    package static let maximumTrackedClients = 10_000

    package let settings: Settings
    private let buckets = Mutex<[String: Bucket]>([:])

    package init(settings: Settings) { self.settings = settings }

    /// Takes a token for `client`; nil when admitted, else how long until one is available.
    package func take(_ client: String, now: ContinuousClock.Instant = .now) -> Duration? {
        buckets.withLock { buckets in
            var bucket = buckets[client] ?? Bucket(tokens: settings.burst, updated: now)
            bucket.tokens = min(settings.burst, bucket.tokens + (now - bucket.updated).seconds * settings.ratePerSecond)
            bucket.updated = now
            defer {
                buckets[client] = bucket
                if buckets.count > Self.maximumTrackedClients { forgetFullBuckets(&buckets, now: now) }
            }
            guard bucket.tokens >= 1 else { return .seconds((1 - bucket.tokens) / settings.ratePerSecond) }
            bucket.tokens -= 1
            return nil
        }
    }

    private func forgetFullBuckets(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        buckets = buckets.filter { _, bucket in
            bucket.tokens + (now - bucket.updated).seconds * settings.ratePerSecond < settings.burst
        }
    }
}
