import WardenJSON
import WardenONNX
import WardenSchema

/// A model's contract as it is enforced on every request: the input and output schemas,
/// compiled once when the model loads, and the output redactions.
public struct ContractEnforcement: Sendable {
    /// At most this many violations are listed in one error response.
    package static let maxListedViolations = 16

    package let inputs: [TensorSpec]
    package let outputs: [TensorSpec]
    package let inputValidator: Validator?
    package let outputValidator: Validator?
    /// The schemas' column-by-column form, when they are flat records: the fast path.
    package let inputPlan: RecordPlan?
    package let outputPlan: RecordPlan?
    package let redactions: RedactionPlan

    /// Compiles the contract's schemas. A schema that does not compile, or a redaction of an
    /// output the model does not have, is an error: the model must not be served.
    public init(contract: ModelContract) throws {
        inputs = contract.inputs
        outputs = contract.outputs
        do {
            // Each schema gets a registry of its own: both sit at the contract's URI.
            let files = contract.schemaFiles
            inputValidator = try contract.inputSchema.map {
                try Validator(schema: $0, uri: ContractSchemaFiles.contractURI, registry: try files.registry())
            }
            outputValidator = try contract.outputSchema.map {
                try Validator(schema: $0, uri: ContractSchemaFiles.contractURI, registry: try files.registry())
            }
            redactions = try contract.outputSchema.map(RedactionPlan.init(outputSchema:)) ?? RedactionPlan(outputSchema: .bool(true))
        } catch {
            throw ContractError("the contract's schemas do not compile: \(error)")
        }
        inputPlan = inputValidator?.recordPlan
        outputPlan = outputValidator?.recordPlan
        for validator in [inputValidator, outputValidator].compactMap(\.self) {
            if let dangling = validator.registry.unresolvedReferences().first {
                throw ContractError("the contract's schemas do not compile: $ref \(dangling) resolves to nothing")
            }
        }
        for name in redactions.actions.keys where !outputs.contains(where: { $0.name == name }) {
            throw ContractError("\(RedactionPlan.keyword) names '\(name)', which is not an output of the contract")
        }
    }

    public var hasOutputSchema: Bool { outputValidator != nil }

    /// Checks every row of a request against the input schema: 422 listing JSON Pointers
    /// (row, then input name) and keywords — never values.
    package func checkInputs(_ feeds: [String: Value]) throws {
        guard let inputValidator else { return }
        let columns = inputs.compactMap { spec in feeds[spec.name].map { (spec, OutputTensor.of($0)) } }
        if let inputPlan, ColumnarCheck.allRowsValid(inputPlan, columns) == true { return }
        guard let rows = TensorRecords.rows(columns) else {
            throw ServingFailure.badRequest(.batchMismatch, "every input must have the same first (batch) dimension")
        }
        let violations = try Self.violations(of: rows, validator: inputValidator) {
            ServingFailure(.inputTooComplex, "validating the request against the contract exceeded a limit: \($0)")
        }
        guard let first = violations.first else { return }
        // Client libraries show only the message: it names the first violation (where and
        // which rule, never the value); `errors` lists them all.
        let more = violations.count > 1 ? " (\(violations.count) violations listed in errors[])" : ""
        var error = ServingFailure(
            .contractViolation, "the request does not satisfy the model's input contract: \(first.pointer) fails \(first.keyword)\(more)")
        error.violations = violations
        throw error
    }

    /// Checks the model's answer against the output schema. An answer outside the contract is
    /// not sent: 500 with a stable code, and the violations are only logged.
    package func checkOutputs(_ results: [String: Value]) throws {
        guard let outputValidator else { return }
        let columns = outputs.compactMap { spec in results[spec.name].map { (spec, OutputTensor.of($0)) } }
        if let outputPlan, ColumnarCheck.allRowsValid(outputPlan, columns) == true { return }
        let internalError = { (detail: String) in
            var error = ServingFailure(.outputContractViolation, "the model's output is outside its contract; it was not sent")
            error.internalDetail = detail
            return error
        }
        guard let rows = TensorRecords.rows(columns) else { throw internalError("outputs do not share a batch dimension") }
        let violations = try Self.violations(of: rows, validator: outputValidator, limitError: internalError)
        guard violations.isEmpty else {
            var error = internalError("\(violations.count) violation(s)")
            error.loggedViolations = violations
            throw error
        }
    }

    private static func violations(
        of rows: [JSONValue], validator: Validator, limitError: (String) -> ServingFailure
    ) throws -> [ContractViolation] {
        var found: [ContractViolation] = []
        for (row, record) in rows.enumerated() {
            let errors: [ValidationError]
            do {
                errors = try validator.validate(record)
            } catch {
                throw limitError("\(error)")
            }
            for error in errors {
                found.append(ContractViolation(row: row, error: error))
                if found.count == maxListedViolations { return found }
            }
        }
        return found
    }
}

/// One failed contract check, as clients and logs see it: where (a JSON Pointer whose first
/// token is the row) and which keyword. Record keys are contract names, so the pointer never
/// holds client text.
public struct ContractViolation: Sendable, Equatable {
    public let pointer: String
    public let keyword: String
    public let schemaLocation: String
    public let message: String

    package init(row: Int, error: ValidationError) {
        pointer = "/\(row)\(error.instanceLocation)"
        keyword = error.keyword
        schemaLocation = "#" + error.schemaLocation
        message = error.message
    }

    package var json: JSONValue {
        .object([
            ("pointer", .string(pointer)), ("keyword", .string(keyword)), ("schema_location", .string(schemaLocation)),
            ("message", .string(message)),
        ])
    }
}
