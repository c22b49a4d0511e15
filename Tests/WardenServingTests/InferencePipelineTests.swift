import Synchronization
import Testing
import WardenONNX

@testable import WardenServing

/// The whole inference path without HTTP, TLS or Python: each refusal comes from the stage that
/// owns it, in order, and names the version that refused once one was chosen.
@Suite struct InferencePipelineTests {
    @Test func aRequestRunsThroughEveryStage() async throws {
        let observer = RecordingObserver()
        let model = try ServingFixtures.churn()
        let pipeline = try ServingFixtures.pipeline([model], observer: observer)
        let result = try await pipeline.run(ServingFixtures.call(feeds: ServingFixtures.churnFeeds(rows: 2), outputs: ["probabilities"]))
        #expect(result.model == ServedModelIdentity(name: "churn", version: "1", digest: nil))
        #expect(Array(result.outputs.keys) == ["probabilities"] && result.requested == ["probabilities"])
        guard case let .tensor(probabilities)? = result.outputs["probabilities"] else { Issue.record("no output"); return }
        #expect(probabilities.shape == [2, 2])
        #expect(model.statistics.snapshot.success.count == 1)
        // Without named outputs, all of the contract's, in its order.
        #expect(try await pipeline.run(ServingFixtures.call()).requested == ["label", "probabilities"])
    }

    @Test func refusalsComeFromTheStageThatOwnsThem() async throws {
        let policy = try ServingFixtures.policy(
            ServingFixtures.killSwitch, data: #"{"kill": {"versions": ["3"], "clients": ["spiffe://warden.test/ns/serving/sa/bad"]}}"#)
        let revoked = try ServingFixtures.churn(version: "2")
        _ = revoked.revoke(reason: "CVE")
        let pipeline = try ServingFixtures.pipeline(
            [try ServingFixtures.churn(version: "1"), revoked, try ServingFixtures.churn(version: "3")], policy: policy)
        func code(_ call: InferenceCall) async -> ServingFailure.Code? {
            await failure { () async throws(ServingFailure) in try await pipeline.run(call) }?.code
        }
        #expect(await code(ServingFixtures.call(model: "fraud")) == .notFound)
        #expect(await code(ServingFixtures.call(client: "spiffe://warden.test/ns/serving/sa/bad")) == .policyDenied)
        #expect(await code(ServingFixtures.call(version: "3")) == .versionDisabled)
        #expect(await code(ServingFixtures.call(version: "2")) == .modelRevoked)
        // A bad timeout is refused once the version is known, not before a 404 or a 403.
        let badTimeout = ServingFailure.badRequest(.invalidTimeout, "bad")
        #expect(await code(ServingFixtures.call(model: "fraud", timeout: .failure(badTimeout))) == .notFound)
        #expect(await code(ServingFixtures.call(timeout: .failure(badTimeout))) == .invalidTimeout)
        #expect(await code(ServingFixtures.call(feeds: ServingFixtures.churnFeeds(tenure: -1))) == .contractViolation)
        // Unversioned: 3 is switched off and 2 revoked, so 1 answers.
        #expect(try await pipeline.run(ServingFixtures.call()).model.version == "1")
    }

    @Test func aRefusalNamesTheVersionThatRefusedAndCountsForItsCanary() async throws {
        let observer = RecordingObserver()
        let model = try ServingFixtures.churn()
        let pipeline = try ServingFixtures.pipeline([model], observer: observer)
        let refused = await failure { () async throws(ServingFailure) in
            try await pipeline.run(ServingFixtures.call(feeds: ServingFixtures.churnFeeds(tenure: -1)))
        }
        #expect(refused?.answeredBy == model.identity)
        #expect(model.statistics.snapshot.fail.count == 1)
    }

    @Test func aDecoderThatFailsRefusesWithItsOwnError() async throws {
        let pipeline = try ServingFixtures.pipeline([try ServingFixtures.churn()])
        let call = InferenceCall(model: "churn", version: nil, client: nil, requestID: "r", routeLabel: "test") { _ in
            throw ServingFailure.badRequest(.invalidJSON, "not JSON")
        }
        #expect(await failure { () async throws(ServingFailure) in try await pipeline.run(call) }?.code == .invalidJSON)
        struct Unexpected: Error {}
        let odd = InferenceCall(model: "churn", version: nil, client: nil, requestID: "r", routeLabel: "test") { _ in throw Unexpected() }
        let refused = await failure { () async throws(ServingFailure) in try await pipeline.run(odd) }
        #expect(refused?.code == .internalError && refused?.message == "internal error")
    }

    @Test func aDeadlineTheClientSetItselfDoesNotCountAgainstTheVersion() async throws {
        let observer = RecordingObserver()
        let pipeline = try ServingFixtures.pipeline([try ServingFixtures.churn()], observer: observer)
        let call = InferenceCall(model: "churn", version: nil, client: nil, requestID: "r", routeLabel: "test") { _ in
            try await Task.sleep(for: .milliseconds(20))
            return DecodedInputs(feeds: ServingFixtures.churnFeeds(), timeout: .milliseconds(1))
        }
        let refused = await failure { () async throws(ServingFailure) in try await pipeline.run(call) }
        #expect(refused?.code == .deadlineExceeded && refused?.countsAgainstVersion == false)
        #expect(observer.count("timeout") == 1)
    }

    /// A request whose client left before the model ran (it waited in the backlog or the
    /// queue) is answered client_closed_request, costs no model work and no version failure:
    /// checked before admission, and again once its body is read.
    @Test func aRequestWhoseClientLeftIsNotComputed() async throws {
        let model = try ServingFixtures.churn()
        let pipeline = try ServingFixtures.pipeline([model])
        let decoded = Mutex(0)
        var gone = InferenceCall(model: "churn", version: nil, client: nil, requestID: "gone", routeLabel: "test") { _ in
            decoded.withLock { $0 += 1 }
            return DecodedInputs(feeds: ServingFixtures.churnFeeds())
        }
        gone.clientGone = { true }
        let refused = await failure { () async throws(ServingFailure) in try await pipeline.run(gone) }
        #expect(refused?.code == .clientClosedRequest && refused?.status == 499 && refused?.countsAgainstVersion == false)
        #expect(decoded.withLock { $0 } == 0)
        // Gone while its body was read: decoded, never run.
        let leaves = Mutex(false)
        var leaving = InferenceCall(model: "churn", version: nil, client: nil, requestID: "leaving", routeLabel: "test") { _ in
            leaves.withLock { $0 = true }
            return DecodedInputs(feeds: ServingFixtures.churnFeeds())
        }
        leaving.clientGone = { leaves.withLock { $0 } }
        let late = await failure { () async throws(ServingFailure) in try await pipeline.run(leaving) }
        #expect(late?.code == .clientClosedRequest)
        #expect(model.statistics.snapshot.success.count == 0)
    }

    @Test func kserveV1CannotFeedAFeatureStoreModel() async throws {
        let directory = try ServingFixtures.churnDirectory { contract in
            contract["feature_store"] = ["entity": "customer_id", "features": ["age": "customer:age"]]
            contract["warmup"] = []
            contract["samples"] = []
        }
        let model = try ServedModel.load(directory: directory)
        try model.warmUp()
        let pipeline = try ServingFixtures.pipeline([model])
        let refused = await failure { () async throws(ServingFailure) in try await pipeline.run(ServingFixtures.call(route: .predict)) }
        #expect(refused?.code == .unsupportedProtocol)
    }

    @Test func overloadShedsBeforeTheBodyIsRead() async throws {
        let pipeline = try ServingFixtures.pipeline(
            [try ServingFixtures.churn()], settings: ServingFixtures.settings(concurrency: 1, queue: 0))
        let entered = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let slow = InferenceCall(model: "churn", version: nil, client: nil, requestID: "slow", routeLabel: "test") { _ in
            entered.continuation.yield()
            for await _ in release.stream { break }
            return DecodedInputs(feeds: ServingFixtures.churnFeeds())
        }
        let holder = Task { try await pipeline.run(slow) }
        for await _ in entered.stream { break }
        let decoded = Mutex(false)
        let shed = InferenceCall(model: "churn", version: nil, client: nil, requestID: "shed", routeLabel: "test") { _ in
            decoded.withLock { $0 = true }
            return DecodedInputs(feeds: ServingFixtures.churnFeeds())
        }
        let refused = await failure { () async throws(ServingFailure) in try await pipeline.run(shed) }
        #expect(refused?.code == .overloaded && !decoded.withLock { $0 })
        release.continuation.yield()
        _ = await holder.result
    }
}
