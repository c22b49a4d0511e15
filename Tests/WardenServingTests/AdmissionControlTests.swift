import Testing

@testable import WardenServing

/// Stage 2: the client's quota, the deadline, and a slot or a refusal before any work.
@Suite struct AdmissionControlTests {
    @Test func aClientMayShortenTheDeadlineNeverExtendIt() {
        let control = AdmissionControl(settings: ServingFixtures.settings(deadline: .seconds(2)), observer: RecordingObserver())
        let now = ContinuousClock.now
        #expect(control.deadline(arrival: now, requested: nil) == now + .seconds(2))
        #expect(control.deadline(arrival: now, requested: .milliseconds(300)) == now + .milliseconds(300))
        #expect(control.deadline(arrival: now, requested: .seconds(60)) == now + .seconds(2))
    }

    @Test func aClientOverItsQuotaIsRefused429WithRetryAfter() async {
        let observer = RecordingObserver()
        let control = AdmissionControl(
            settings: ServingFixtures.settings(quota: ClientQuota.Settings(ratePerSecond: 1, burst: 1)), observer: observer)
        let deadline = ContinuousClock.now + .seconds(1)
        #expect(
            await failure { () async throws(ServingFailure) in try await control.admit(client: "a", deadline: deadline) { _ in 1 } } == nil)
        let refused = await failure { () async throws(ServingFailure) in try await control.admit(client: "a", deadline: deadline) { _ in 1 }
        }
        #expect(refused?.code == .clientQuotaExceeded && refused?.status == 429 && (refused?.retryAfterSeconds ?? 0) >= 1)
        #expect(observer.count("throttled") == 1)
        // Another client has its own bucket.
        #expect(
            await failure { () async throws(ServingFailure) in try await control.admit(client: "b", deadline: deadline) { _ in 1 } } == nil)
    }

    @Test func aFullServerShedsAtOnceWith503() async throws {
        let observer = RecordingObserver()
        let control = AdmissionControl(settings: ServingFixtures.settings(concurrency: 1, queue: 0), observer: observer)
        let deadline = ContinuousClock.now + .seconds(60)
        let holding = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await control.admit(client: nil, deadline: deadline) { _ in
                holding.continuation.yield()
                for await _ in release.stream { break }
            }
        }
        for await _ in holding.stream { break }
        let refused = await failure { () async throws(ServingFailure) in try await control.admit(client: nil, deadline: deadline) { _ in 1 }
        }
        #expect(refused?.code == .overloaded && refused?.status == 503 && refused?.retryAfterSeconds != nil)
        #expect(observer.count("refused queue_full") == 1)
        release.continuation.yield()
        try await holder.value
    }
}
