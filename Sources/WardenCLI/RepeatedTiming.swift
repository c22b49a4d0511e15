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
            let elapsed = ContinuousClock.now - start
            samples.append(Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9)
        }
        self.samples = samples.sorted()
    }

    /// The sample at fraction `p` (0.5: the median).
    func percentile(_ p: Double) -> Double { samples.isEmpty ? 0 : samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
}
