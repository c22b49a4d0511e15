import WardenConfig

/// How a model's unversioned traffic is split between a stable and a canary version, and how
/// the canary earns more of it: `steps` are canary weights in percent, taken in order while
/// the analysis finds the canary no worse than stable. `steps: [100]` is blue/green.
public struct ReleasePlan: Sendable, Equatable {
    public var model: String
    public var stable: String
    public var canary: String?
    public var steps: [Double]
    public var split = TrafficSplit.request
    public var analysis = ReleaseAnalysis()

    public init(
        model: String, stable: String, canary: String? = nil, steps: [Double] = [], split: TrafficSplit = .request,
        analysis: ReleaseAnalysis = .init()
    ) {
        self.model = model
        self.stable = stable
        self.canary = canary
        self.steps = steps
        self.split = split
        self.analysis = analysis
    }

    /// Reads one plan (`releases:` in the configuration, or an admin request's body).
    /// The versions the plan names: stable, then the canary if any.
    package var versions: [String] { [stable] + (canary.map { [$0] } ?? []) }

    package init(reading map: inout StrictMapping) throws {
        guard let model = try map.string("model") else { throw ConfigurationError("\(map.path).model is required") }
        guard let stable = try map.versionString("stable") else { throw ConfigurationError("\(map.path).stable is required") }
        self.init(model: model, stable: stable, canary: try map.versionString("canary"), steps: try map.numbers("steps") ?? [])
        split = try TrafficSplit(reading: &map)
        if var settings = try map.mapping("analysis") { try analysis.read(&settings) }
        try map.finish()
        try validate(path: map.path)
    }

    package func validate(path: String) throws {
        if let canary {
            guard canary != stable else { throw ConfigurationError("\(path): canary and stable are the same version") }
            guard !steps.isEmpty else { throw ConfigurationError("\(path).steps: a canary needs at least one weight") }
        } else if !steps.isEmpty {
            throw ConfigurationError("\(path).steps: weights without a canary")
        }
        guard steps.allSatisfy({ (0...100).contains($0) }), zip(steps, steps.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw ConfigurationError("\(path).steps must rise strictly, each within 0...100")
        }
    }
}

/// When a canary is promoted or rolled back. Both versions are judged over the same sliding
/// window, and only once each has `minimumRequests` in it: too few requests say nothing.
public struct ReleaseAnalysis: Sendable, Equatable {
    public var window: Duration = .seconds(60)
    public var minimumRequests = 50
    /// How long a step must hold, with enough requests and no breach, before the next one.
    public var stepDuration: Duration = .seconds(30)
    /// Rollback when the canary's 5xx ratio exceeds stable's by more than this.
    public var maxErrorRateIncrease = 0.01
    /// Rollback when the canary's p95 exceeds stable's by more than this factor...
    public var maxLatencyRatio = 1.5
    /// ...and is above this floor (sub-millisecond noise is no regression).
    public var latencyFloor: Duration = .milliseconds(5)
    /// Off: weights change only through the admin endpoint; breaches are still reported.
    public var automatic = true

    public init() {}

    package mutating func read(_ map: inout StrictMapping) throws {
        window = try map.seconds("window_seconds") ?? window
        minimumRequests = try map.positiveInt("min_requests") ?? minimumRequests
        stepDuration = try map.seconds("step_seconds") ?? stepDuration
        maxErrorRateIncrease = try map.number("max_error_rate_increase") ?? maxErrorRateIncrease
        maxLatencyRatio = try map.number("max_p95_ratio") ?? maxLatencyRatio
        latencyFloor = try map.seconds("p95_floor_seconds") ?? latencyFloor
        automatic = try map.bool("automatic") ?? automatic
        try map.finish()
        guard window > .zero else { throw ConfigurationError("\(map.path).window_seconds must be above 0") }
        guard maxLatencyRatio >= 1 else { throw ConfigurationError("\(map.path).max_p95_ratio must be at least 1") }
    }
}
