import Logging
import Prometheus
import Testing
import WardenConfig

@testable import WardenServer
@testable import WardenServing

/// Release management without a network: routing buckets, the analysis verdicts, and a canary
/// walked through its steps, rolled back, and completed, on a clock the test moves.
@Suite struct ReleaseTests {
    static func manager(_ plans: [ReleasePlan]) throws -> ReleaseManager {
        let models = try ["1", "2"].map { version in
            try ServedModel.load(directory: TestServer.churnDirectory, version: version)
        }
        for model in models { try model.warmUp() }
        return try ReleaseManager(
            plans: plans, repository: try ModelRepository(models: models),
            metrics: ReleaseMetrics(registry: PrometheusCollectorRegistry()), logger: Logger(label: "test"), analyzesOnTraffic: false)
    }

    static func canaryPlan(steps: [Double] = [10, 50, 100]) -> ReleasePlan {
        var plan = ReleasePlan(model: "churn", stable: "1", canary: "2", steps: steps)
        plan.analysis.minimumRequests = 20
        plan.analysis.stepDuration = .seconds(10)
        plan.analysis.window = .seconds(30)
        return plan
    }

    static func feed(
        _ manager: ReleaseManager, version: String, count: Int, failing: Int = 0, latency: Duration = .milliseconds(2),
        at time: ContinuousClock.Instant
    ) {
        for index in 0..<count {
            manager.record(model: "churn", version: version, status: index < failing ? 500 : 200, latency: latency, at: time)
        }
    }

    @Test func bucketsAreStableAndSpreadEvenly() {
        #expect(
            ReleaseManager.bucket(model: "churn", client: "spiffe://a/x") == ReleaseManager.bucket(model: "churn", client: "spiffe://a/x"))
        let buckets = (0..<4000).map { ReleaseManager.bucket(model: "churn", client: "spiffe://t/c\($0)") }
        let underTenPercent = buckets.filter { $0 < 1000 }.count
        #expect((320...480).contains(underTenPercent))  // 10% of 4000, ± 4 standard deviations
    }

    @Test func aClientStaysOnItsVersionAndMovesToTheCanaryOnceAsTheWeightRises() throws {
        var plan = Self.canaryPlan()
        plan.split = .client
        let manager = try Self.manager([plan])
        let clients = (0..<400).map { "spiffe://t/c\($0)" }
        let first = clients.map { manager.route(model: "churn", client: $0) }
        #expect(first == clients.map { manager.route(model: "churn", client: $0) })
        let onCanary = Set(clients.indices.filter { first[$0] == "2" })
        #expect((20...70).contains(onCanary.count))
        manager.promote(model: "churn")
        let second = clients.map { manager.route(model: "churn", client: $0) }
        #expect(onCanary.allSatisfy { second[$0] == "2" })  // nobody goes back
        #expect(second.filter { $0 == "2" }.count > onCanary.count)
    }

    /// Behind one gateway every request carries the same identity: the default split draws per
    /// request, so the canary still gets its weight (with `split: client` it got nothing).
    @Test func oneGatewayIdentityStillGivesTheCanaryItsWeight() throws {
        let manager = try Self.manager([Self.canaryPlan()])
        let routed = (0..<2000).map { _ in manager.route(model: "churn", client: "spiffe://t/ns/gateway/sa/gw") }
        let share = Double(routed.filter { $0 == "2" }.count) / 20
        #expect(abs(share - 10) <= 3, "canary share \(share)% at weight 10%")
    }

    @Test func aHeaderSplitIsStickyPerValueAndDrawnWithout() throws {
        var plan = Self.canaryPlan()
        plan.split = .header("X-Session-Id")
        let manager = try Self.manager([plan])
        let sessions = (0..<400).map { "session-\($0)" }
        let route = { (session: String?) in manager.route(model: "churn", client: "gw") { $0 == "X-Session-Id" ? session : nil } }
        let first = sessions.map { route($0) }
        #expect(first == sessions.map { route($0) })
        #expect((20...70).contains(first.filter { $0 == "2" }.count))
        let withoutHeader = (0..<2000).map { _ in route(nil) }
        #expect(abs(Double(withoutHeader.filter { $0 == "2" }.count) / 20 - 10) <= 3)
    }

    @Test func splitsAreReadStrictly() throws {
        func plan(_ extra: [String: Any]) throws -> ReleasePlan {
            var map = StrictMapping(["model": "churn", "stable": "1", "canary": "2", "steps": [10]].merging(extra) { $1 }, path: "r")
            return try ReleasePlan(reading: &map)
        }
        #expect(try plan([:]).split == .request)
        #expect(try plan(["split": "client"]).split == .client)
        #expect(try plan(["split": "header", "split_header": "X-Tenant"]).split == .header("X-Tenant"))
        #expect(throws: ConfigurationError.self) { try plan(["split": "header"]) }
        #expect(throws: ConfigurationError.self) { try plan(["split": "header", "split_header": "bad header"]) }
        #expect(throws: ConfigurationError.self) { try plan(["split": "clients"]) }
        #expect(throws: ConfigurationError.self) { try plan(["split_header": "X-Tenant"]) }
    }

    /// Found by schemathesis on the admin API: `window_seconds: 6e307` trapped converting to a
    /// Duration and took the server down. Durations are bounded to a year, and refused beyond.
    @Test(arguments: [6.137429350241774e307, Double.infinity, Double.nan, -1, 31_536_000.5])
    func outOfRangeDurationsAreRefused(_ seconds: Double) {
        var map = StrictMapping(
            ["model": "churn", "stable": "1", "analysis": ["window_seconds": seconds]] as [String: Any], path: "r")
        #expect(throws: ConfigurationError.self) { try ReleasePlan(reading: &map) }
    }

    @Test func aYearIsTheLongestDuration() throws {
        var map = StrictMapping(["model": "churn", "stable": "1", "analysis": ["window_seconds": 31_536_000]] as [String: Any], path: "r")
        #expect(try ReleasePlan(reading: &map).analysis.window == .seconds(31_536_000))
        var huge = StrictMapping(["model": "churn", "stable": "1", "analysis": ["step_seconds": Int.max]] as [String: Any], path: "r")
        #expect(throws: ConfigurationError.self) { try ReleasePlan(reading: &huge) }
    }

    @Test func verdicts() {
        var analysis = ReleaseAnalysis()
        analysis.minimumRequests = 10
        let good = VersionWindow.Summary(requests: 100, failures: 0, p95: .milliseconds(10))
        func judge(_ canary: VersionWindow.Summary, stable: VersionWindow.Summary = good, weight: Double = 10) -> ReleaseManager.Verdict {
            ReleaseManager.judge(stable: stable, canary: canary, weight: weight, analysis: analysis)
        }
        #expect(judge(.init(requests: 5, failures: 5, p95: .zero)) == .waiting("canary has 5 of 10 requests"))
        #expect(judge(.init(requests: 50, failures: 0, p95: .milliseconds(12))) == .healthy)
        if case .breach = judge(.init(requests: 50, failures: 2, p95: .milliseconds(10))) {} else { Issue.record("4% errors passed") }
        if case .breach = judge(.init(requests: 50, failures: 0, p95: .milliseconds(16))) {} else { Issue.record("1.6× p95 passed") }
        // Below the floor, a slower canary is noise.
        let fast = VersionWindow.Summary(requests: 100, failures: 0, p95: .microseconds(500))
        #expect(judge(.init(requests: 50, failures: 0, p95: .milliseconds(2)), stable: fast) == .healthy)
        // Without a stable baseline: wait, unless the canary has all the traffic.
        let none = VersionWindow.Summary()
        #expect(judge(good, stable: none) == .waiting("stable has 0 of 10 requests"))
        #expect(judge(good, stable: none, weight: 100) == .healthy)
    }

    @Test func aHealthyCanaryIsPromotedStepByStepThenBecomesStable() throws {
        let manager = try Self.manager([Self.canaryPlan()])
        var now = ContinuousClock.now
        for weight in [10.0, 50, 100] {
            #expect(manager.canaryWeight(model: "churn") == weight)
            Self.feed(manager, version: "1", count: 30, at: now)
            Self.feed(manager, version: "2", count: 30, at: now)
            manager.evaluate(now: now)
            #expect(manager.canaryWeight(model: "churn") == weight)  // the step has not held long enough yet
            now += .seconds(11)
            Self.feed(manager, version: "2", count: 30, at: now)
            Self.feed(manager, version: "1", count: 30, at: now)
            manager.evaluate(now: now)
        }
        #expect(!manager.isProgressing(model: "churn") && manager.canaryWeight(model: "churn") == 0)
        #expect((0..<50).allSatisfy { manager.route(model: "churn", client: "c\($0)") == "2" })
    }

    @Test func aFailingCanaryIsRolledBackAtOnce() throws {
        let manager = try Self.manager([Self.canaryPlan()])
        let now = ContinuousClock.now
        Self.feed(manager, version: "1", count: 40, at: now)
        Self.feed(manager, version: "2", count: 20, failing: 3, at: now)
        manager.evaluate(now: now)
        #expect(!manager.isProgressing(model: "churn"))
        #expect((0..<50).allSatisfy { manager.route(model: "churn", client: "c\($0)") == "1" })
    }

    @Test func aSlowCanaryIsRolledBack() throws {
        let manager = try Self.manager([Self.canaryPlan()])
        let now = ContinuousClock.now
        Self.feed(manager, version: "1", count: 40, latency: .milliseconds(8), at: now)
        Self.feed(manager, version: "2", count: 20, latency: .milliseconds(30), at: now)
        manager.evaluate(now: now)
        #expect(!manager.isProgressing(model: "churn"))
    }

    @Test func outcomesOutsideTheWindowDoNotCount() throws {
        let manager = try Self.manager([Self.canaryPlan()])
        let old = ContinuousClock.now
        Self.feed(manager, version: "2", count: 20, failing: 20, at: old)
        Self.feed(manager, version: "1", count: 40, at: old + .seconds(40))
        Self.feed(manager, version: "2", count: 20, at: old + .seconds(40))
        manager.evaluate(now: old + .seconds(40))
        #expect(manager.isProgressing(model: "churn"))
    }

    @Test func plansAreCheckedBeforeTheyTakeEffect() throws {
        #expect(throws: ConfigurationError.self) { try Self.manager([ReleasePlan(model: "churn", stable: "1", canary: "9", steps: [10])]) }
        #expect(throws: ConfigurationError.self) {
            try Self.manager([ReleasePlan(model: "churn", stable: "1", canary: "2", steps: [50, 10])])
        }
        #expect(throws: ConfigurationError.self) { try Self.manager([ReleasePlan(model: "churn", stable: "1", canary: "2")]) }
        #expect(throws: ConfigurationError.self) { try Self.manager([Self.canaryPlan(), Self.canaryPlan()]) }
        let configuration = try ServeConfiguration(
            yaml: """
                releases:
                  - {model: churn, stable: 1, canary: 2, steps: [5, 50, 100], analysis: {window_seconds: 30, min_requests: 20}}
                models: [{directory: /m}]
                """)
        #expect(configuration.releases.first?.steps == [5, 50, 100])
        #expect(configuration.releases.first?.analysis.minimumRequests == 20)
        #expect(throws: ConfigurationError.self) {
            try ServeConfiguration(
                yaml: "releases: [{model: churn, stable: 1, canary: 2, steps: [5], bogus: 1}]\nmodels: [{directory: /m}]")
        }
    }
}

/// The canary window counts what the version did, not what one client made of it.
@Suite struct VersionWindowWeightTests {
    static func outcome(_ client: Int, failed: Bool, at seconds: Double) -> VersionWindow.Outcome {
        VersionWindow.Outcome(
            time: ContinuousClock.now.advanced(by: .seconds(seconds)), failed: failed, latency: .milliseconds(5), client: client)
    }

    @Test func oneClientCannotOutweighTheRest() {
        var window = VersionWindow()
        for index in 0..<10 { window.record(Self.outcome(1, failed: false, at: Double(index) / 100)) }
        // A client sending 50 requests it makes fail (it picked them, the version did not).
        for index in 0..<50 { window.record(Self.outcome(2, failed: true, at: 0.1 + Double(index) / 100)) }
        let summary = window.summary(since: ContinuousClock.now.advanced(by: .seconds(-1)))
        #expect(summary.requests == 20 && summary.failures == 10)
        #expect(summary.errorRate == 0.5)
    }

    @Test func aSingleClientBehindAGatewayCountsWhole() {
        var window = VersionWindow()
        for index in 0..<40 { window.record(Self.outcome(7, failed: index % 4 == 0, at: Double(index) / 100)) }
        let summary = window.summary(since: ContinuousClock.now.advanced(by: .seconds(-1)))
        #expect(summary.requests == 40 && summary.failures == 10)
    }
}
