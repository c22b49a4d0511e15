import NIOCore

/// One version's recent outcomes for the canary analysis, bounded in time (the window) and in
/// count (the oldest go first), so a flood of requests cannot grow memory.
package struct VersionWindow {
    package struct Outcome {
        package let time: ContinuousClock.Instant
        package let failed: Bool
        package let latency: Duration
        /// Who asked (a hash of the SPIFFE ID; 0 without one), to cap one client's weight.
        package var client = 0
    }

    package struct Summary: Equatable {
        package var requests = 0
        package var failures = 0
        package var p95: Duration = .zero
        package var errorRate: Double { requests == 0 ? 0 : Double(failures) / Double(requests) }
    }

    package static let capacity = 20_000
    private var outcomes = CircularBuffer<Outcome>(initialCapacity: 256)

    /// 5xx answers are the version's failures, except 503: shedding, revocation and a kill
    /// switch say nothing about the version's code.
    package static func isFailure(status: Int) -> Bool { status >= 500 && status != 503 }

    package mutating func record(_ outcome: Outcome) {
        if outcomes.count == Self.capacity { outcomes.removeFirst() }
        outcomes.append(outcome)
    }

    package mutating func summary(since start: ContinuousClock.Instant) -> Summary {
        while let first = outcomes.first, first.time < start { outcomes.removeFirst() }
        let judged = Self.cappedPerClient(Array(outcomes))
        guard !judged.isEmpty else { return Summary() }
        var latencies = judged.map(\.latency)
        latencies.sort()
        // Nearest rank: the smallest latency at or above 95% of the requests.
        let rank = Int((Double(latencies.count) * 0.95).rounded(.up)) - 1
        return Summary(requests: judged.count, failures: judged.lazy.filter(\.failed).count, p95: latencies[max(rank, 0)])
    }

    /// No one client outweighs all the others together: with several clients, each counts
    /// with at most as many outcomes (its latest) as the rest have, so a client that floods a
    /// version with requests it makes fail cannot decide the verdict alone. One client (a
    /// gateway) is all the traffic there is, and counts whole.
    package static func cappedPerClient(_ outcomes: [Outcome]) -> [Outcome] {
        let counts = Dictionary(outcomes.map { ($0.client, 1) }, uniquingKeysWith: +)
        guard counts.count > 1 else { return outcomes }
        var allowance = counts.mapValues { min($0, outcomes.count - $0) }
        var kept: [Outcome] = []
        for outcome in outcomes.reversed() where allowance[outcome.client, default: 0] > 0 {
            allowance[outcome.client, default: 0] -= 1
            kept.append(outcome)
        }
        return kept.reversed()
    }

    package mutating func reset() { outcomes.removeAll() }
}
