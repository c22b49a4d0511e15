/// Times repeated runs of one operation for the `bench` subcommands: as many untimed warm-up
/// runs first, then each run timed on its own.
struct RepeatedTiming {
    /// Nanoseconds per run, sorted.
    let samples: [Double]

    init(iterations: Int, _ operation: () throws -> Void) rethrows {
        for _ in 0..<iterations { try operation() }
        var samples: [Double] = []
        samples.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let start = ContinuousClock.now
            try operation()
            samples.append((ContinuousClock.now - start).nanoseconds)
        }
        self.samples = samples.sorted()
    }

    /// The same for an operation that awaits (a Sigstore verification, say).
    static func measure(iterations: Int, _ operation: () async throws -> Void) async rethrows -> RepeatedTiming {
        for _ in 0..<iterations { try await operation() }
        var samples: [Double] = []
        samples.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let start = ContinuousClock.now
            try await operation()
            samples.append((ContinuousClock.now - start).nanoseconds)
        }
        return RepeatedTiming(sorted: samples.sorted())
    }

    private init(sorted samples: [Double]) { self.samples = samples }

    /// The sample at fraction `p` (0.5: the median).
    func percentile(_ p: Double) -> Double { samples.isEmpty ? 0 : samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
}

extension Duration {
    fileprivate var nanoseconds: Double { Double(components.seconds) * 1e9 + Double(components.attoseconds) / 1e9 }
}
