import Testing

@testable import WardenServer
@testable import WardenServing

/// Readiness with several models: `any` (their default) stays Ready while one model serves and
/// names the others; `all` (the single-model default) needs every one.
@Suite struct ReadinessTests {
    static func models() throws -> [ServedModel] {
        let models = try ["churn", "churn-b"].map { try ServedModel.load(directory: TestServer.churnDirectory, name: $0) }
        for model in models { try model.warmUp() }
        return models
    }

    @Test func theDefaultIsAnyForSeveralModelsAndAllForOne() throws {
        let models = try Self.models()
        #expect(ServerState(repository: try ModelRepository(models: models)).readiness == .any)
        #expect(ServerState(repository: try ModelRepository(models: [models[0]])).readiness == .all)
    }

    @Test func oneRevokedModelLeavesAnyReadyAndNamesIt() throws {
        let models = try Self.models()
        let repository = try ModelRepository(models: models)
        let any = ServerState(repository: repository)
        let all = ServerState(repository: repository, readiness: .all)
        any.finishWarmUp()
        #expect(any.isReady && all.isReady)
        #expect(models[1].revoke(reason: "CVE-2026-0002"))
        #expect(any.isReady)
        #expect(!all.isReady)
        #expect(any.warnings == ["model churn-b version 1 is unavailable: revoked"])
        #expect(models[0].revoke(reason: "CVE-2026-0003"))
        #expect(!any.isReady)
    }

    @Test func anyWaitsForWarmUpToHaveTriedEveryModel() throws {
        let state = ServerState(repository: try ModelRepository(models: try Self.models()))
        #expect(!state.isReady)
        state.finishWarmUp()
        #expect(state.isReady)
    }
}
