import Crypto
import Logging
import Synchronization
import WardenConfig
import WardenJSON

public enum ReleaseDecision: String, Sendable {
    case planChanged = "plan_changed"
    case promoted
    case completed
    case rolledBack = "rolled_back"
}

/// Release management for one server: which version answers a model's unversioned requests
/// (weighted, sticky per client), the canary analysis that promotes or rolls back, and the plan
/// the admin endpoint shows and changes. Every decision is an audit event and a metric.
public final class ReleaseManager: Sendable {
    package enum Phase: String {
        /// One version takes all unversioned traffic.
        case stable
        case progressing
        case rolledBack = "rolled_back"
    }

    package struct Track {
        package var plan: ReleasePlan
        package var step = 0
        package var stepStarted: ContinuousClock.Instant
        package var phase: Phase
        package var lastDecision: String?

        package var weight: Double { phase == .progressing ? plan.steps[step] : 0 }
    }

    package enum Verdict: Equatable {
        case waiting(String)
        case breach(String)
        case healthy
    }

    package let repository: ModelRepository
    package let metrics: any ReleaseObserver
    package let logger: Logger
    private let tracks = Mutex<[String: Track]>([:])
    private let windows = Mutex<[String: VersionWindow]>([:])
    /// When the analysis last ran: it runs at most once a second, started by the traffic it
    /// judges (no traffic, no new evidence), off the request's path.
    private let lastAnalysis = Mutex<ContinuousClock.Instant?>(nil)
    package static let analysisInterval: Duration = .seconds(1)
    /// Off only in tests that move the clock themselves and call `evaluate(now:)`.
    package let analyzesOnTraffic: Bool
    /// Analyses the traffic asked for, for `ReleaseAnalysisService` to run (the newest only:
    /// one pass judges everything recorded so far).
    private let analysisRequests: AsyncStream<ContinuousClock.Instant>
    private let requestAnalysis: AsyncStream<ContinuousClock.Instant>.Continuation

    package init(
        plans: [ReleasePlan], repository: ModelRepository, metrics: any ReleaseObserver, logger: Logger, analyzesOnTraffic: Bool = true
    )
        throws
    {
        self.analyzesOnTraffic = analyzesOnTraffic
        (analysisRequests, requestAnalysis) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.repository = repository
        self.metrics = metrics
        self.logger = logger
        let models = plans.map(\.model)
        if let repeated = models.first(where: { name in models.filter { $0 == name }.count > 1 }) {
            throw ConfigurationError("releases: model '\(repeated)' has more than one plan")
        }
        for plan in plans { try replace(plan, by: "system:configuration", reason: "the plan in the configuration") }
    }

    package func isProgressing(model: String) -> Bool { tracks.withLock { $0[model]?.phase == .progressing } }

    /// The canary's share of unversioned requests now, in percent (nil: no plan).
    package func canaryWeight(model: String) -> Double? { tracks.withLock { $0[model]?.weight } }

    // MARK: Routing

    /// The version for an unversioned request, or nil when the model has no plan. The plan's
    /// split picks the bucket (`TrafficSplit`): a fresh draw per request, or a hash of the
    /// client or of a header, so that a key keeps its version at a given weight and, as the
    /// weight rises, moves to the canary once and stays. A version that cannot serve (revoked,
    /// not ready) hands its share to the other.
    package func route(model: String, client: String, header: (String) -> String? = { _ in nil }) -> String? {
        guard let track = tracks.withLock({ $0[model] }) else { return nil }
        let stable = track.plan.stable
        guard let canary = track.plan.canary, track.weight > 0 else { return stable }
        let bucket: Int
        switch track.plan.split {
        case .request: bucket = Int.random(in: 0..<10_000)
        case .client: bucket = Self.bucket(model: model, client: client)
        case let .header(name): bucket = header(name).map { Self.bucket(model: model, client: $0) } ?? Int.random(in: 0..<10_000)
        }
        let chosen = Double(bucket) < track.weight * 100 ? canary : stable
        if repository.model(model, version: chosen)?.isReady == true { return chosen }
        let other = chosen == canary ? stable : canary
        return repository.model(model, version: other)?.isReady == true ? other : chosen
    }

    /// 0..<10000 from a hash of the model and a key (a client or a header value): stable across
    /// requests and replicas.
    package static func bucket(model: String, client: String) -> Int {
        let digest = SHA256.hash(data: Array("\(model)\u{0}\(client)".utf8))
        let prefix = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int(prefix % 10_000)
    }

    // MARK: Outcomes and analysis

    package func record(
        model: String, version: String, status: Int, latency: Duration, client: String? = nil, at time: ContinuousClock.Instant = .now
    ) {
        guard tracks.withLock({ $0[model] != nil }) else { return }
        let outcome = VersionWindow.Outcome(
            time: time, failed: VersionWindow.isFailure(status: status), latency: latency, client: client?.hashValue ?? 0)
        windows.withLock { $0["\(model)/\(version)", default: VersionWindow()].record(outcome) }
        guard analyzesOnTraffic else { return }
        let due = lastAnalysis.withLock { last in
            guard last.map({ time - $0 >= Self.analysisInterval }) ?? true else { return false }
            last = time
            return true
        }
        if due { requestAnalysis.yield(time) }
    }

    /// Runs each analysis the traffic asks for, until the task is cancelled (graceful shutdown).
    package func runAnalyses() async {
        for await time in analysisRequests { evaluate(now: max(time, .now)) }
    }

    package func summary(model: String, version: String, since start: ContinuousClock.Instant) -> VersionWindow.Summary {
        windows.withLock { $0["\(model)/\(version)"]?.summary(since: start) } ?? .init()
    }

    /// The canary against stable over the same window. Too few requests on either side is no
    /// verdict; at weight 100 stable has no unversioned traffic, so only the canary's own error
    /// rate is judged.
    package static func judge(stable: VersionWindow.Summary, canary: VersionWindow.Summary, weight: Double, analysis: ReleaseAnalysis)
        -> Verdict
    {
        let minimum = analysis.minimumRequests
        guard canary.requests >= minimum else { return .waiting("canary has \(canary.requests) of \(minimum) requests") }
        let baseline = stable.requests >= minimum ? stable : nil
        let allowed = (baseline?.errorRate ?? 0) + analysis.maxErrorRateIncrease
        if canary.errorRate > allowed {
            return .breach("error rate \(percent(canary.errorRate)) above \(percent(allowed)) (\(canary.failures) of \(canary.requests))")
        }
        guard let baseline else {
            return weight >= 100 ? .healthy : .waiting("stable has \(stable.requests) of \(minimum) requests")
        }
        if canary.p95 > analysis.latencyFloor, baseline.p95 > .zero, canary.p95 / baseline.p95 > analysis.maxLatencyRatio {
            return .breach(
                "p95 \(milliseconds(canary.p95)) ms above \(analysis.maxLatencyRatio)× stable's \(milliseconds(baseline.p95)) ms")
        }
        return .healthy
    }

    /// One analysis pass over every progressing release (at most once a second, see `record`).
    package func evaluate(now: ContinuousClock.Instant = .now) {
        for model in tracks.withLock({ Array($0.keys) }) {
            guard let track = tracks.withLock({ $0[model] }), track.phase == .progressing, let canary = track.plan.canary else { continue }
            let since = now - track.plan.analysis.window
            let verdict = Self.judge(
                stable: summary(model: model, version: track.plan.stable, since: since),
                canary: summary(model: model, version: canary, since: since), weight: track.weight, analysis: track.plan.analysis)
            metrics.verdict(model: model, verdict: verdict)
            guard track.plan.analysis.automatic else { continue }
            // The verdict is about the step just judged: a change made meanwhile (the admin
            // endpoint, a new plan) is not acted on with it.
            switch verdict {
            case let .breach(reason): rollback(model: model, actor: Self.analysis, reason: reason, judgedStep: track.stepStarted)
            case .healthy where now - track.stepStarted >= track.plan.analysis.stepDuration:
                promote(
                    model: model, actor: Self.analysis, reason: "the canary held its SLOs for the step", now: now,
                    judgedStep: track.stepStarted)
            default: continue
            }
        }
    }

    // MARK: Changes

    /// The next step, or completion after the last. `judgedStep` (when the analysis calls) is
    /// the start of the step it judged: if the step has changed since, nothing happens.
    package func promote(
        model: String, actor: String = analysis, reason: String = "the canary held its SLOs for the step",
        now: ContinuousClock.Instant = .now,
        judgedStep: ContinuousClock.Instant? = nil
    ) {
        let changed: (Track, ReleaseDecision, Double)? = tracks.withLock { all in
            guard var track = all[model], track.phase == .progressing, let canary = track.plan.canary,
                judgedStep.map({ $0 == track.stepStarted }) ?? true
            else { return nil }
            let weightBefore = track.weight
            let decision: ReleaseDecision
            if track.step + 1 < track.plan.steps.count {
                track.step += 1
                decision = .promoted
            } else {
                // The canary has held every step: it is the stable version now.
                track.plan = ReleasePlan(model: model, stable: canary, analysis: track.plan.analysis)
                track.step = 0
                track.phase = .stable
                decision = .completed
            }
            track.stepStarted = now
            track.lastDecision = decision.rawValue
            all[model] = track
            return (track, decision, weightBefore)
        }
        if let (track, decision, before) = changed { report(track, decision, weightBefore: before, actor: actor, reason: reason) }
    }

    /// The actor the audit trail names for the analysis' own decisions.
    package static let analysis = "system:canary-analysis"
    /// The actor of changes SIGHUP makes from the configuration file.
    package static let hangup = "system:sighup"

    /// Re-reads the configuration file's plans (SIGHUP): all are checked first, then each that
    /// differs from the plan in force replaces it. An invalid file changes nothing and is audited.
    package func reload(fromConfigurationFile path: String, reading read: (String) throws -> [ReleasePlan]) {
        do {
            let plans = try read(path)
            for plan in plans { try check(plan) }
            let current = tracks.withLock { $0.mapValues(\.plan) }
            for plan in plans where current[plan.model] != plan {
                try replace(plan, by: Self.hangup, reason: "the plan in \(path), re-read on SIGHUP")
            }
        } catch {
            AuditEvent.releaseReloadFailed(reason: "\(error)").log(to: logger)
        }
    }

    /// A plan may be put in force: well formed, and every version it names is served.
    private func check(_ plan: ReleasePlan) throws {
        try plan.validate(path: "release \(plan.model)")
        for version in plan.versions where repository.model(plan.model, version: version) == nil {
            throw ConfigurationError("release \(plan.model): version '\(version)' is not served")
        }
    }

    package func rollback(model: String, actor: String = analysis, reason: String, judgedStep: ContinuousClock.Instant? = nil) {
        let changed: (Track, Double)? = tracks.withLock { all in
            guard var track = all[model], track.phase == .progressing, judgedStep.map({ $0 == track.stepStarted }) ?? true else {
                return nil
            }
            let weightBefore = track.weight
            track.phase = .rolledBack
            track.lastDecision = "\(ReleaseDecision.rolledBack.rawValue): \(reason)"
            all[model] = track
            return (track, weightBefore)
        }
        if let (track, before) = changed { report(track, .rolledBack, weightBefore: before, actor: actor, reason: reason) }
    }

    /// Puts a new plan in force (from the configuration or the admin endpoint): every version
    /// it names must be served; a canary starts at its first step.
    package func replace(_ plan: ReleasePlan, by actor: String, reason: String = "a new plan") throws {
        try check(plan)
        let track = Track(plan: plan, stepStarted: .now, phase: plan.canary == nil ? .stable : .progressing, lastDecision: "plan_changed")
        let before = tracks.withLock { all in
            defer { all[plan.model] = track }
            return all[plan.model]?.weight ?? 0
        }
        report(track, .planChanged, weightBefore: before, actor: actor, reason: reason)
    }

    private func report(_ track: Track, _ decision: ReleaseDecision, weightBefore: Double, actor: String, reason: String) {
        let plan = track.plan
        AuditEvent.release(
            model: plan.model, decision: decision, stable: plan.stable, canary: plan.canary, weightBefore: weightBefore,
            weight: track.weight, actor: actor, reason: reason
        ).log(to: logger)
        metrics.decided(model: plan.model, decision: decision, weight: track.weight, phase: track.phase.rawValue)
    }

    // MARK: Admin view

    /// Every plan, its step, weight and phase, and each version's window now.
    package func snapshot(now: ContinuousClock.Instant = .now) -> JSONValue {
        let all = tracks.withLock { $0 }.sorted { $0.key < $1.key }
        return .object([("releases", .array(all.map { json($0.key, $0.value, now: now) }))])
    }

    /// One model's plan, or nil when it has none.
    package func snapshot(model: String, now: ContinuousClock.Instant = .now) -> JSONValue? {
        tracks.withLock { $0[model] }.map { json(model, $0, now: now) }
    }

    private func json(_ model: String, _ track: Track, now: ContinuousClock.Instant) -> JSONValue {
        let since = now - track.plan.analysis.window
        let windows: [(key: String, value: JSONValue)] = track.plan.versions.map { version in
            let summary = summary(model: model, version: version, since: since)
            let counts: JSONValue = .object([
                ("requests", .number(Double(summary.requests))), ("failures", .number(Double(summary.failures))),
                ("p95_ms", .number(Self.milliseconds(summary.p95))),
            ])
            return (version, counts)
        }
        return .object([
            ("model", .string(model)), ("stable", .string(track.plan.stable)),
            ("canary", track.plan.canary.map(JSONValue.string) ?? .null),
            ("steps", .array(track.plan.steps.map { .number($0) })), ("step", .number(Double(track.step))),
            ("split", .string(track.plan.split.name)), ("split_header", track.plan.split.headerName.map(JSONValue.string) ?? .null),
            ("canary_weight", .number(track.weight)), ("phase", .string(track.phase.rawValue)),
            ("last_decision", track.lastDecision.map(JSONValue.string) ?? .null), ("windows", .object(windows)),
        ])
    }

    package static func percent(_ ratio: Double) -> String { "\((ratio * 1000).rounded() / 10)%" }

    package static func milliseconds(_ duration: Duration) -> Double { (duration / .milliseconds(1) * 100).rounded() / 100 }
}
