import Foundation
import Synchronization
import WardenJSON
import WardenONNX
import WardenTrust

/// One model version being served: its engine session, its contract, and whether it has
/// passed warm-up. Immutable except for the readiness flag.
public final class ServedModel: Sendable {
    public let session: InferenceSession
    public let contract: ModelContract
    /// The contract's schemas, compiled, and its redactions.
    public let enforcement: ContractEnforcement
    /// The engine's cost per row, learnt from runs: where requests' model work runs.
    package let engineCost = EngineCost()
    public let directory: String
    /// The artifact digest this version was verified against (nil when served unpinned).
    public let digest: SHA256Digest?
    private let warmedUp = Atomic<Bool>(false)
    /// Why warm-up failed, when it did: the version stays unavailable, and says why.
    private let warmUpFailure = Mutex<String?>(nil)

    public var name: String { contract.name }
    /// Name, version and digest: what a response and a log line say answered.
    public var identity: ServedModelIdentity { ServedModelIdentity(name: name, version: version, digest: digest) }
    public var version: String { contract.version }
    /// Why this version no longer serves: its digest was revoked (for good), or no current
    /// revocation list proves it is not (until one does).
    private let withdrawal = Mutex<(revoked: String?, stale: Bool)>((nil, false))

    /// The request policy's reasons while it switches this version off for every client.
    private let killSwitch = Mutex<[String]?>(nil)

    public var isReady: Bool { hasWarmedUp && !isWithdrawn && !isKilled }
    package var hasWarmedUp: Bool { warmedUp.load(ordering: .acquiring) }

    package var isWithdrawn: Bool { withdrawal.withLock { $0.revoked != nil || $0.stale } }
    package var isKilled: Bool { killSwitch.withLock { $0 != nil } }

    /// Where this version stands, the first reason that holds winning.
    public var availability: ModelAvailability {
        let (revoked, stale) = withdrawal.withLock { ($0.revoked, $0.stale) }
        if revoked != nil { return .revoked }
        if stale { return .unproven }
        if isKilled { return .killed }
        if warmUpFailure.withLock({ $0 }) != nil { return .failed }
        return hasWarmedUp ? .ready : .loading
    }

    /// Why this version cannot answer, for the repository index; nil when it is ready.
    package var unavailableReason: String? {
        switch availability {
        case .ready: return nil
        case .loading: return "loading"
        case .revoked: return "revoked"
        case .unproven: return "no current revocation list proves it unrevoked"
        case .killed:
            let reasons = killSwitch.withLock { $0 } ?? []
            return "switched off by the request policy" + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; "))
        case .failed: return "warm-up failed: \(warmUpFailure.withLock { $0 } ?? "")"
        }
    }

    /// Records whether the request policy switches this version off for everyone (its
    /// reasons), or not (nil); true when that changed.
    package func setKilled(_ reasons: [String]?) -> Bool {
        killSwitch.withLock { current in
            guard current != reasons else { return false }
            defer { current = reasons }
            return (current == nil) != (reasons == nil)
        }
    }

    /// Counters for `/v2/models/{m}/stats`, in Triton's statistics shape.
    package let statistics = InferenceStatistics()

    /// Stops serving this version for good; false if it already was revoked.
    package func revoke(reason: String) -> Bool {
        withdrawal.withLock { state in
            guard state.revoked == nil else { return false }
            state.revoked = reason
            return true
        }
    }

    package func setRevocationListStale(_ stale: Bool) { withdrawal.withLock { $0.stale = stale } }

    /// The model's explainer, or why it has none (reported at load and to explain requests).
    public let explainer: Result<ModelExplainer, NotExplainable>

    public init(
        session: InferenceSession, contract: ModelContract, directory: String, digest: SHA256Digest? = nil,
        explainer: Result<ModelExplainer, NotExplainable> = .failure(NotExplainable("the contract has no explanations section"))
    ) throws {
        self.session = session
        self.explainer = explainer
        self.contract = contract
        self.enforcement = try ContractEnforcement(contract: contract)
        self.directory = directory
        self.digest = digest
    }

    /// Loads `model.onnx` and, when present, `warden-model.json` from `directory`. The name
    /// is `name`, else the contract's, else the directory's.
    public static func load(directory: String, name: String? = nil, version: String? = nil, digest: SHA256Digest? = nil) throws
        -> ServedModel
    {
        let modelPath = (directory as NSString).appendingPathComponent("model.onnx")
        guard let bytes = try boundedContents(modelPath, limit: DecodingLimits().maxFileBytes) else {
            throw ModelLoadFailure("cannot read \(modelPath)")
        }
        let session: InferenceSession
        do {
            session = try InferenceSession(modelBytes: Array(bytes))
        } catch {
            throw ModelLoadFailure("\(modelPath): \(error)")
        }
        let contractPath = (directory as NSString).appendingPathComponent(ModelContract.fileName)
        var contract: ModelContract
        let found: ModelContract?
        do {
            found = try ModelContract.read(contentsOf: contractPath)
            try found?.check(against: session)
        } catch let failure as ModelLoadFailure {
            throw failure
        } catch {
            throw ModelLoadFailure("\(contractPath): \(error)")
        }
        if var found {
            if let name { found.name = name }
            contract = found
        } else {
            let fallback = name ?? URL(fileURLWithPath: directory).standardizedFileURL.lastPathComponent
            contract = ModelContract.derived(from: session, name: fallback)
        }
        if let version { contract.version = version }
        guard ModelContract.isValidName(contract.name), ModelContract.isValidName(contract.version) else {
            throw ModelLoadFailure("model name '\(contract.name)' or version '\(contract.version)' has characters outside [A-Za-z0-9._-]")
        }
        do {
            return try ServedModel(
                session: session, contract: contract, directory: directory, digest: digest,
                explainer: Self.explainer(Array(bytes), session: session, contract: contract))
        } catch {
            throw ModelLoadFailure("\(contractPath): \(error)")
        }
    }

    /// The explainer the contract's `explanations` section makes possible, or why there is none.
    static func explainer(_ bytes: [UInt8], session: InferenceSession, contract: ModelContract) -> Result<ModelExplainer, NotExplainable> {
        guard var settings = contract.explanations?.settings else {
            return .failure(NotExplainable("the contract has no explanations section"))
        }
        if !contract.features.isEmpty { settings.featureNames = contract.features }
        return Result { () throws(NotExplainable) in try ModelExplainer(modelBytes: bytes, session: session, settings: settings) }
    }

    /// Records why warm-up failed (the reason readiness and the index report).
    package func recordWarmUpFailure(_ reason: String) { warmUpFailure.withLock { $0 = reason } }

    /// Runs the contract's warm-up samples (or, without any, one synthetic batch) and marks
    /// the model ready only if every one succeeds. Returns what the runs showed that is worth
    /// a warning (an output shape contradicting the model's declaration).
    @discardableResult
    public func warmUp() throws -> [String] {
        var warnings: [String] = []
        if contract.warmup.isEmpty {
            warnings = session.outputShapeWarnings(try session.run(session.syntheticFeeds(batch: 1)))
        }
        for (index, sample) in contract.warmup.enumerated() {
            var feeds: [String: Value] = [:]
            for input in session.inputs {
                guard let json = sample[input.name] else {
                    throw ModelLoadFailure("warm-up sample \(index) has no input '\(input.name)'")
                }
                do {
                    feeds[input.name] = try JSONTensorCoding.value(from: json, for: input)
                } catch {
                    throw ModelLoadFailure("warm-up sample \(index), input '\(input.name)': \(error)")
                }
            }
            // Warm-up goes through the contract as a request would: a contract the samples
            // cannot satisfy would refuse every request, so it must not turn Ready.
            for spec in contract.inputs {
                if case let .tensor(tensor)? = feeds[spec.name], !spec.accepts(tensor.shape) {
                    throw ModelLoadFailure(
                        "warm-up sample \(index), input '\(spec.name)': shape \(tensor.shape) is not the contract's \(spec.shape)")
                }
            }
            do {
                try enforcement.checkInputs(feeds)
            } catch let error as ServingFailure {
                throw ModelLoadFailure("warm-up sample \(index) is outside the input contract: \(error.message)")
            }
            do {
                // Each sample may show the same contradiction: say it once.
                for warning in session.outputShapeWarnings(try session.run(feeds)) where !warnings.contains(warning) {
                    warnings.append(warning)
                }
            } catch {
                throw ModelLoadFailure("warm-up sample \(index) failed: \(error)")
            }
        }
        warmedUp.store(true, ordering: .releasing)
        return warnings
    }
}

/// A file's contents, or nil if it does not exist. The size is checked before reading, so an
/// oversized file is never loaded into memory.
package func boundedContents(_ path: String, limit: Int) throws -> Data? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > limit {
        throw ModelLoadFailure("\(path) is \(size) bytes, over the limit of \(limit)")
    }
    return FileManager.default.contents(atPath: path)
}

/// A model directory that cannot be served, with the reason.
public struct ModelLoadFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
