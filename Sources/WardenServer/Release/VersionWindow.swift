import NIOCore

/// One version's recent outcomes for the canary analysis, bounded in time (the window) and in
/// count (the oldest go first), so a flood of requests cannot grow memory.
struct VersionWindow {
    struct Outcome {
        let time: ContinuousClock.Instant
        let failed: Bool
        let latency: Duration
    }

    struct Summary: Equatable {
        var requests = 0
        var failures = 0
        var p95: Duration = .zero
        var errorRate: Double { requests == 0 ? 0 : Double(failures) / Double(requests) }
    }

    static let capacity = 20_000
    private var outcomes = CircularBuffer<Outcome>(initialCapacity: 256)

    /// 5xx answers are the version's failures, except 503: shedding, revocation and a kill
    /// switch say nothing about the version's code.
    static func isFailure(status: Int) -> Bool { status >= 500 && status != 503 }

    mutating func record(_ outcome: Outcome) {
        if outcomes.count == Self.capacity { outcomes.removeFirst() }
        outcomes.append(outcome)
    }

    mutating func summary(since start: ContinuousClock.Instant) -> Summary {
        while let first = outcomes.first, first.time < start { outcomes.removeFirst() }
        guard !outcomes.isEmpty else { return Summary() }
        var latencies = outcomes.map(\.latency)
        latencies.sort()
        // Nearest rank: the smallest latency at or above 95% of the requests.
        let rank = Int((Double(latencies.count) * 0.95).rounded(.up)) - 1
        return Summary(requests: outcomes.count, failures: outcomes.lazy.filter(\.failed).count, p95: latencies[max(rank, 0)])
    }

    mutating func reset() { outcomes.removeAll() }
}
