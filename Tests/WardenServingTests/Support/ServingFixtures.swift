import Foundation
import Logging
import Synchronization
import WardenONNX

@testable import WardenServing

/// The serving core's test material: the example churn model, its requests as engine values
/// (no codec), policies written to files, and the pipeline assembled without HTTP.
enum ServingFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var churnDirectory: String { root.appendingPathComponent("examples/churn").path }
    static let logger = Logger(label: "serving-tests")

    /// A churn version, warmed up (ready) unless asked not to be.
    static func churn(version: String = "1", warm: Bool = true, directory: String? = nil) throws -> ServedModel {
        let model = try ServedModel.load(directory: directory ?? churnDirectory, version: version)
        if warm { try model.warmUp() }
        return model
    }

    /// `rows` customers, the same one each time; `tenure` may break the input contract.
    static func churnFeeds(rows: Int = 1, tenure: Int64 = 12) -> [String: Value] {
        let shape = [rows, 1]
        func floats(_ value: Float) -> Value { .tensor(.float(Array(repeating: value, count: rows), shape: shape)) }
        func ints(_ value: Int64) -> Value { .tensor(.int64(Array(repeating: value, count: rows), shape: shape)) }
        func strings(_ value: String) -> Value { .tensor(.string(Array(repeating: value, count: rows), shape: shape)) }
        return [
            "tenure": ints(tenure), "monthly_charges": floats(70), "total_charges": floats(840), "support_calls": ints(1),
            "num_services": ints(3), "data_usage_gb": floats(10), "days_since_login": floats(3), "age": floats(41),
            "contract": strings("month-to-month"), "payment": strings("card"),
        ]
    }

    /// A copy of the churn example whose contract `edit` changes (as a JSON object).
    static func churnDirectory(editingContract edit: (inout [String: Any]) -> Void) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-serving-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let source = URL(fileURLWithPath: churnDirectory)
        try FileManager.default.copyItem(
            at: source.appendingPathComponent("model.onnx"), to: directory.appendingPathComponent("model.onnx"))
        let data = try Data(contentsOf: source.appendingPathComponent(ModelContract.fileName))
        var contract = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        edit(&contract)
        try JSONSerialization.data(withJSONObject: contract).write(to: directory.appendingPathComponent(ModelContract.fileName))
        return directory.path
    }

    /// A request policy from Rego text and JSON data, written to files as an operator would.
    static func policy(_ rego: String, data: String = "{}") throws -> RequestPolicy {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let policy = directory.appendingPathComponent("kill.rego")
        let values = directory.appendingPathComponent("kill.json")
        try rego.write(to: policy, atomically: true, encoding: .utf8)
        try data.write(to: values, atomically: true, encoding: .utf8)
        return try RequestPolicy(source: RequestPolicySource(files: [policy.path], dataFiles: [values.path]))
    }

    /// The kill switch of docs/releases.md.
    static let killSwitch = """
        package serving.request
        import rego.v1
        default allow := false
        allow if { not version_blocked; not client_blocked }
        version_blocked if input.model.version in data.kill.versions
        client_blocked if input.client.spiffe_id in data.kill.clients
        reasons contains "version switched off" if version_blocked
        """

    static func settings(concurrency: Int = 2, queue: Int = 4, deadline: Duration = .seconds(2), quota: ClientQuota.Settings? = nil)
        -> ResilienceSettings
    {
        var settings = ResilienceSettings()
        settings.admission = Admission.Settings(concurrency: concurrency, queueCapacity: queue, maxQueueWait: .milliseconds(250))
        settings.inferDeadline = deadline
        settings.clientQuota = quota
        return settings
    }

    static func pipeline(
        _ models: [ServedModel], policy: RequestPolicy? = nil, releases: [ReleasePlan] = [], settings: ResilienceSettings = settings(),
        features: (any FeatureSource)? = nil, observer: RecordingObserver = RecordingObserver()
    ) throws -> InferencePipeline {
        let repository = try ModelRepository(models: models)
        let manager = try ReleaseManager(
            plans: releases, repository: repository, metrics: observer, logger: logger, analyzesOnTraffic: false)
        return InferencePipeline(
            selection: VersionSelection(repository: repository, releases: manager, policy: policy, logger: logger),
            admission: AdmissionControl(settings: settings, observer: observer), features: FeatureLookup(source: features),
            redactor: .ephemeral(), observer: observer)
    }

    /// A call whose body decodes to `feeds` (asking for `outputs`, all when nil).
    static func call(
        model: String = "churn", version: String? = nil, client: String? = "spiffe://warden.test/ns/serving/sa/c0",
        feeds: [String: Value] = churnFeeds(), outputs: [String]? = nil, route: InferenceCall.Route = .infer,
        timeout: Result<Duration?, ServingFailure> = .success(nil)
    ) -> InferenceCall {
        InferenceCall(
            model: model, version: version, client: client, requestID: "r1", route: route, routeLabel: "test", requestedTimeout: timeout
        ) { _ in DecodedInputs(feeds: feeds, outputs: outputs) }
    }
}

/// Counts what the pipeline reports, in place of the server's metrics.
final class RecordingObserver: PipelineObserver, AdmissionObserver, ReleaseObserver {
    private let counts = Mutex<[String: Int]>([:])

    func count(_ key: String) -> Int { counts.withLock { $0[key] ?? 0 } }
    private func add(_ key: String) { counts.withLock { $0[key, default: 0] += 1 } }

    func engineRan(model: String, version: String, duration: Duration) { add("engine \(model)/\(version)") }
    func timedOut(route: String) { add("timeout") }
    func throttled() { add("throttled") }
    func admitted(wait: Duration) { add("admitted") }
    func refused(_ reason: Admission.Refusal) { add("refused \(reason.rawValue)") }
    func queueDepth(_ depth: Int) {}
    func decided(model: String, decision: ReleaseDecision, weight: Double, phase: String) { add("release \(decision.rawValue)") }
    func verdict(model: String, verdict: ReleaseManager.Verdict) {}
}

/// The error a typed-throws call ended with, or nil when it succeeded.
func failure<T>(_ body: () async throws(ServingFailure) -> T) async -> ServingFailure? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}

func failure<T>(_ body: () throws(ServingFailure) -> T) -> ServingFailure? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
