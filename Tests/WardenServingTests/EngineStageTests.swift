import Testing
import WardenONNX

@testable import WardenServing

/// Stage 5: the engine's run, measured, bounded by the deadline.
@Suite struct EngineStageTests {
    static func stage(_ observer: RecordingObserver) -> EngineStage {
        EngineStage(engine: EngineRunner(threads: 1), observer: observer)
    }

    @Test func theEngineAnswersAndIsMeasured() async throws {
        let observer = RecordingObserver()
        let model = try ServingFixtures.churn()
        let control = AdmissionControl(settings: ServingFixtures.settings(), observer: observer)
        let results = try await control.admit(client: nil, deadline: .now + .seconds(2)) { lease throws(ServingFailure) in
            try await Self.stage(observer).run(
                model, ServingFixtures.churnFeeds(rows: 3), rows: 3, outputs: ["label", "probabilities"], deadline: .now + .seconds(2),
                lease: lease)
        }
        guard case let .tensor(label)? = results["label"] else { Issue.record("no label"); return }
        #expect(label.shape == [3])
        #expect(observer.count("engine churn/1") == 1)
        #expect(EngineStage.rows(ServingFixtures.churnFeeds(rows: 3)) == 3)
    }

    @Test func aRunPastItsDeadlineIs504() async throws {
        let observer = RecordingObserver()
        let model = try ServingFixtures.churn()
        let control = AdmissionControl(settings: ServingFixtures.settings(), observer: observer)
        let refused = await failure { () async throws(ServingFailure) in
            try await control.admit(client: nil, deadline: .now + .seconds(2)) { lease throws(ServingFailure) in
                try await Self.stage(observer).run(
                    model, ServingFixtures.churnFeeds(), rows: 1, outputs: ["label"], deadline: .now - .seconds(1), lease: lease)
            }
        }
        #expect(refused?.code == .deadlineExceeded && refused?.status == 504)
    }

    @Test func anEngineErrorIsTheRequestsFault() async throws {
        let observer = RecordingObserver()
        let model = try ServingFixtures.churn()
        let control = AdmissionControl(settings: ServingFixtures.settings(), observer: observer)
        var feeds = ServingFixtures.churnFeeds(rows: 2)
        feeds["age"] = .tensor(.float([1, 2, 3], shape: [3, 1]))  // three rows where the rest have two
        let refused = await failure { () async throws(ServingFailure) in
            try await control.admit(client: nil, deadline: .now + .seconds(2)) { lease throws(ServingFailure) in
                try await Self.stage(observer).run(model, feeds, rows: 2, outputs: ["label"], deadline: .now + .seconds(2), lease: lease)
            }
        }
        #expect(refused.map { (400..<500).contains($0.status) } == true, "\(String(describing: refused))")
    }
}
