import Foundation
import WardenJSON
import WardenONNX
import WardenServing

/// `warden contract check DIR`: what `serve` would refuse about a model folder's contract,
/// found offline and listed together — the graph it must describe, its schemas, its warm-up
/// samples run through the contract and the engine, and its samples' expected answers.
public enum ContractCheck {
    /// Whether `directory` holds a model or a contract to check. `push` and `fetch` check
    /// every artifact that does; one with neither is no model for `serve` (signing vectors).
    public static func appliesTo(directory: String) -> Bool {
        ["model.onnx", ModelContract.fileName].contains {
            FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent($0))
        }
    }

    /// Every problem found, one line each; empty when the folder would load and warm up.
    /// Without `requireContract`, a bare model is checked with the contract `serve` derives.
    public static func problems(directory: String, requireContract: Bool = true) -> [String] {
        let modelPath = (directory as NSString).appendingPathComponent("model.onnx")
        let contractPath = (directory as NSString).appendingPathComponent(ModelContract.fileName)
        let session: InferenceSession
        do {
            guard let bytes = try boundedContents(modelPath, limit: DecodingLimits().maxFileBytes) else {
                return ["cannot read \(modelPath)"]
            }
            session = try InferenceSession(modelBytes: Array(bytes))
        } catch {
            return ["\(modelPath): \(error)"]
        }
        let contract: ModelContract
        do {
            if let found = try ModelContract.read(contentsOf: contractPath) {
                contract = found
            } else if requireContract {
                return ["\(contractPath) does not exist"]
            } else {
                contract = ModelContract.derived(from: session, name: "model")
            }
        } catch {
            return ["\(contractPath): \(error)"]
        }
        let graphProblems = contract.problems(against: session)
        guard graphProblems.isEmpty else { return graphProblems }
        let model: ServedModel
        do {
            model = try ServedModel(session: session, contract: contract, directory: directory)
            try model.warmUp()
        } catch {
            return ["\(error)"]
        }
        return contract.samples.flatMap { sample in
            sampleProblems(sample, model: model).map { "samples '\(sample.name)': \($0)" }
        }
    }

    /// Runs a sample as `warden probe` would send it, without a server: decode, input contract,
    /// engine, output contract, and the answer against the expected outputs. Outputs the
    /// contract redacts are not compared (their hashes depend on the server's key).
    package static func sampleProblems(_ sample: ContractSample, model: ServedModel) -> [String] {
        let contract = model.contract
        guard contract.featureStore == nil else { return [] }  // needs the feature store: `warden probe` checks it
        do {
            let body = try sample.inferenceRequest(inputs: contract.requestInputs)
            let request = try InferenceRequest(body: body, jsonLength: nil, contract: model.contract, limits: ServingLimits().json)
            try model.enforcement.checkInputs(request.feeds)
            let results = try model.session.run(request.feeds, outputNames: contract.outputs.map(\.name))
            try model.enforcement.checkOutputs(results)
            let compared = request.outputs.filter { model.enforcement.redactions.actions[$0.name] == nil }
            let answer = InferenceResponse(model: model.identity, requestID: nil, outputs: compared, results: results)
            var expected = sample
            expected.outputs = sample.outputs.filter { model.enforcement.redactions.actions[$0.key] == nil }
            var limits = JSONParser.Limits()
            limits.allowsNonFiniteNumbers = true
            return SampleAnswerCheck.differences(
                answer: try JSONParser.parse(answer.body, limits: limits), sample: expected, contract: contract)
        } catch let error as ServingFailure {
            let violations = (error.violations + error.loggedViolations).map { "\($0.pointer) \($0.keyword)" }
            return [error.message + (violations.isEmpty ? "" : " (\(violations.joined(separator: ", ")))")]
        } catch {
            return ["\(error)"]
        }
    }
}
