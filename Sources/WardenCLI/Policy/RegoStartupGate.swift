import Foundation
import WardenJSON
import WardenPolicy
import WardenTrust

/// The startup gate written in Rego: `data.serving.startup.permit` over the verification
/// report. Anything but `true` — false, undefined, an evaluation error — denies.
struct RegoStartupGate: StartupGate {
    static let decision = ["serving", "startup", "permit"]

    let policy: Policy
    let name: String

    /// Loads the gate's Rego files; v0 syntax (the requirements' own text) with `v0Compatible`.
    init(files: [String], v0Compatible: Bool) throws(TrustFailure) {
        var modules: [(name: String, text: String)] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw TrustFailure(.unreadableFile, "cannot read gate policy \(file)")
            }
            modules.append((file, String(decoding: data, as: UTF8.self)))
        }
        do {
            policy = try Policy(modules: modules, syntax: v0Compatible ? .v0 : .v1)
        } catch {
            throw TrustFailure(.malformedStatement, "startup gate policy: \(error)")
        }
        name = "rego " + files.joined(separator: ",")
    }

    func decide(_ input: JSONValue) async throws(TrustFailure) -> GateDecision {
        let value: Value?
        do {
            value = try policy.value(of: Self.decision, input: Value(json: input))
        } catch {
            // Fail closed: a policy that cannot be evaluated permits nothing.
            return GateDecision(permit: false, gate: name, reasons: ["evaluation failed: \(error)"])
        }
        guard value == .bool(true) else {
            return GateDecision(permit: false, gate: name, reasons: ["data.serving.startup.permit is \(value?.description ?? "undefined")"])
        }
        return GateDecision(permit: true, gate: name, reasons: [])
    }
}
