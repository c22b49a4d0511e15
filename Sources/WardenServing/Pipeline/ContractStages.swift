import WardenONNX
import WardenSchema

/// Stage 4: every input row checked against the contract's input schema before the engine
/// runs (422 `contract_violation` listing pointers and keywords, never values).
package struct InputContractCheck: Sendable {
    package init() {}

    package func check(_ feeds: [String: Value], against enforcement: ContractEnforcement) throws(ServingFailure) {
        try RequestPhase.run("contract.input") { () throws(ServingFailure) in
            try ServingFailure.catching { try enforcement.checkInputs(feeds) }
        }
    }
}

/// Stage 6: every output row checked against the output schema; an answer outside the
/// contract is not sent (500 `output_contract_violation`, details in the log only).
package struct OutputContractCheck: Sendable {
    package init() {}

    package func check(_ results: [String: Value], against enforcement: ContractEnforcement) throws(ServingFailure) {
        try RequestPhase.run("contract.output") { () throws(ServingFailure) in
            try ServingFailure.catching { try enforcement.checkOutputs(results) }
        }
    }
}

/// Stage 7: the contract's redactions (drop, mask, hash, round) applied, then only the
/// outputs the client asked for kept.
package struct Redaction: Sendable {
    package let redactor: OutputRedactor

    package init(redactor: OutputRedactor) { self.redactor = redactor }

    package func apply(_ results: [String: Value], plan: RedactionPlan, keeping requested: [String]) -> [String: Value] {
        var results = results
        redactor.apply(plan, to: &results)
        let wanted = Set(requested)
        return results.filter { wanted.contains($0.key) }
    }
}

extension ServingFailure {
    /// Runs code whose failures are ServingFailures by construction; anything else is an
    /// internal error (never shown: its text could quote the request).
    package static func catching<T>(_ body: () throws -> T) throws(ServingFailure) -> T {
        do {
            return try body()
        } catch let failure as ServingFailure {
            throw failure
        } catch {
            var failure = ServingFailure(.internalError, "internal error")
            failure.internalDetail = "\(error)"
            throw failure
        }
    }

    package static func catching<T>(_ body: () async throws -> T) async throws(ServingFailure) -> T {
        do {
            return try await body()
        } catch let failure as ServingFailure {
            throw failure
        } catch {
            var failure = ServingFailure(.internalError, "internal error")
            failure.internalDetail = "\(error)"
            throw failure
        }
    }
}
