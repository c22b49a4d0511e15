import WardenJSON
import WardenPolicy
import WardenTrust

/// The startup gate written in Rego: `data.serving.startup.permit` over the verification
/// report. Anything but `true` — false, undefined, an evaluation error — denies. One
/// implementation for `fetch`, `verify` and `serve` (which re-runs it over the receipt), so
/// the three cannot come to disagree; its files load as `opa eval --data` reads them.
public struct RegoStartupGate: StartupGate {
    package static let decision = ["serving", "startup", "permit"]

    package let policy: Policy
    package let data: Value
    public let name: String

    /// Loads the gate's Rego (and data) files or folders; v0 syntax (the requirements' own
    /// text) with `v0Compatible`.
    public init(files: [String], v0Compatible: Bool) throws(TrustFailure) {
        do {
            let bundle = try PolicyFiles.load(files)
            guard !bundle.modules.isEmpty else { throw PolicyFileError("no .rego file among \(files.joined(separator: ", "))") }
            policy = try Policy(modules: bundle.modules, syntax: v0Compatible ? .v0 : .v1)
            data = bundle.data
        } catch let error as PolicyFileError {
            throw TrustFailure(.unreadableFile, "startup gate policy: \(error)")
        } catch {
            throw TrustFailure(.malformedStatement, "startup gate policy: \(error)")
        }
        name = "rego " + files.joined(separator: ",")
    }

    /// The gate from a verified policy bundle (its Rego version and data), named by its digest.
    public init(bundle: VerifiedPolicyBundle) throws(TrustFailure) {
        do {
            let loaded = try PolicyBundleCompiler.compile(bundle.artifact.files, manifest: bundle.manifest, provenance: nil)
            policy = loaded.policy
            data = loaded.data
        } catch {
            throw TrustFailure(.malformedStatement, "startup gate bundle \(bundle.artifact.digest): \(error)")
        }
        name = "rego bundle \(bundle.artifact.digest) (revision \(bundle.manifest.revision), signed by \(bundle.signer))"
    }

    /// The decision over a report, as a Rego value (serve builds the input from the receipt).
    public func decision(for input: Value) -> GateDecision {
        let value: Value?
        do {
            value = try policy.value(of: Self.decision, input: input, data: data)
        } catch {
            // Fail closed: a policy that cannot be evaluated permits nothing.
            return GateDecision(permit: false, gate: name, reasons: ["evaluation failed: \(error)"])
        }
        guard value == .bool(true) else {
            return GateDecision(permit: false, gate: name, reasons: ["data.serving.startup.permit is \(value?.description ?? "undefined")"])
        }
        return GateDecision(permit: true, gate: name, reasons: [])
    }

    public func decide(_ input: JSONValue) async throws(TrustFailure) -> GateDecision { decision(for: Value(json: input)) }
}
