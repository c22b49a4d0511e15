import Foundation
import Testing
import WardenJSON
import WardenONNX
import WardenSchema

@testable import WardenServer
@testable import WardenServing

/// The column-by-column contract check must agree with the full validator on every batch:
/// it may only skip work, never change a verdict.
@Suite struct ColumnarCheckTests {
    /// A small deterministic generator, so a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Values at and around the contracts' bounds, where float rounding could flip a verdict.
    static let floats: [Float] = [
        0, -0.0, 1, -1, 0.1, 0.25, 0.75, 1.0000001, 0.99999994, -1e-45, 1e-45, 100_000, 100_000.01, 99_999.99, 1e7, 1.0000001e7,
        .nan, .infinity, -.infinity, 3.5, 1200, 1201,
    ]
    static let integers: [Int64] = [0, -1, 1, 2, 99, 100, 101, 1200, 1201, 10_000, 10_001, .max, .min]
    static let strings = ["two-year", "month-to-month", "", "Two", "a\n", "x_y-z", String(repeating: "a", count: 64), "é", "0abc"]

    /// A value from `choices` one time in eight, else `usual` (valid in every schema here).
    static func pick<T>(_ choices: [T], usual: T, using rng: inout SplitMix) -> T {
        Int.random(in: 0..<8, using: &rng) == 0 ? choices.randomElement(using: &rng)! : usual
    }

    static func randomTensor(_ spec: TensorSpec, rows: Int, using rng: inout SplitMix) -> Tensor {
        let width = spec.shape.dropFirst().map { $0 < 0 ? Int.random(in: 0...3, using: &rng) : $0 }.reduce(1, *)
        let shape = [rows] + spec.shape.dropFirst().map { $0 < 0 ? width : $0 }
        let count = rows * width
        switch spec.datatype {
        case .fp32: return Tensor(shape: shape, storage: .float((0..<count).map { _ in pick(floats, usual: 0.1, using: &rng) }))
        case .int64: return Tensor(shape: shape, storage: .int64((0..<count).map { _ in pick(integers, usual: 2, using: &rng) }))
        case .bytes: return Tensor(shape: shape, storage: .string((0..<count).map { _ in pick(strings, usual: "two-year", using: &rng) }))
        default: return Tensor(shape: shape, storage: .bool((0..<count).map { _ in Bool.random(using: &rng) }))
        }
    }

    static func fullVerdict(_ validator: Validator, _ columns: [(spec: TensorSpec, tensor: Tensor)]) throws -> Bool {
        guard let rows = TensorRecords.rows(columns) else { return false }
        return try rows.allSatisfy { try validator.validate($0).isEmpty }
    }

    /// Random batches in which most values are valid and a column is left out one time in
    /// `dropOneIn`, so both verdicts occur often.
    static func agree(schema: JSONValue, specs: [TensorSpec], batches: Int, seed: UInt64, dropOneIn: Int = 20) throws -> (
        valid: Int, invalid: Int
    ) {
        let validator = try Validator(schema: schema)
        let plan = try #require(validator.recordPlan)
        var rng = SplitMix(state: seed)
        var tally = (valid: 0, invalid: 0)
        for _ in 0..<batches {
            let rows = Int.random(in: 1...3, using: &rng)
            let present = specs.filter { _ in Int.random(in: 0..<dropOneIn, using: &rng) > 0 }
            let columns = present.map { ($0, randomTensor($0, rows: rows, using: &rng)) }
            let full = try fullVerdict(validator, columns)
            let columnar = ColumnarCheck.allRowsValid(plan, columns)
            #expect(columnar == nil || columnar == full, "disagreement on \(columns.map(\.1))")
            if full { tally.valid += 1 } else { tally.invalid += 1 }
        }
        return tally
    }

    @Test func agreesWithTheValidatorOnTheChurnContract() throws {
        let contract = try ModelContract(
            json: try JSONParser.parse(
                Array(try Data(contentsOf: URL(fileURLWithPath: TestServer.churnDirectory + "/warden-model.json")))))
        let input = try Self.agree(schema: try #require(contract.inputSchema), specs: contract.inputs, batches: 20_000, seed: 1)
        let output = try Self.agree(schema: try #require(contract.outputSchema), specs: contract.outputs, batches: 20_000, seed: 2)
        // Both verdicts must really occur, or the comparison proves nothing.
        #expect(input.valid > 100 && input.invalid > 100 && output.valid > 100 && output.invalid > 100)
    }

    @Test func agreesOnAssertionsBeyondTheChurnContract() throws {
        let schema = try JSONParser.parse(
            Array(
                """
                {"type": "object", "required": ["a"], "maxProperties": 3, "dependentRequired": {"b": ["c"]},
                 "properties": {"a": {"type": "integer", "exclusiveMinimum": 0, "multipleOf": 2},
                                "b": {"const": "two-year"}, "c": false,
                                "v": {"type": "array", "maxItems": 2, "items": {"type": "number", "exclusiveMaximum": 1}}},
                 "additionalProperties": {"enum": [0.1, 1, "two-year", true]}}
                """.utf8))
        let specs = [
            TensorSpec(name: "a", datatype: .int64, shape: [-1]), TensorSpec(name: "b", datatype: .bytes, shape: [-1, 1]),
            TensorSpec(name: "c", datatype: .fp32, shape: [-1, 1]), TensorSpec(name: "v", datatype: .fp32, shape: [-1, -1]),
            TensorSpec(name: "x", datatype: .fp32, shape: [-1, 1]), TensorSpec(name: "y", datatype: .bytes, shape: [-1]),
        ]
        let tally = try Self.agree(schema: schema, specs: specs, batches: 20_000, seed: 3, dropOneIn: 2)
        #expect(tally.valid > 100 && tally.invalid > 100)
    }

    @Test(arguments: [
        ##"{"$ref": "#/$defs/r", "$defs": {"r": {"type": "object"}}}"##,
        #"{"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}"#,
        #"{"properties": {"a": {"oneOf": [{"type": "integer"}, {"minimum": 3}]}}}"#,
        #"{"patternProperties": {"^a": {"type": "integer"}}}"#,
        #"{"unevaluatedProperties": false}"#,
        #"{"properties": {"a": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}}}"#,
        #"{"enum": [{"a": 1}]}"#,
    ])
    func schemasBeyondFlatRecordsGetTheFullValidator(_ text: String) throws {
        #expect(try Validator(schema: try JSONParser.parse(Array(text.utf8))).recordPlan == nil)
    }

    @Test func arrayAssertionsThatReadItemsFallBack() throws {
        let validator = try Validator(
            schema: try JSONParser.parse(Array(#"{"properties": {"v": {"uniqueItems": true}}}"#.utf8)))
        let plan = try #require(validator.recordPlan)
        let spec = TensorSpec(name: "v", datatype: .fp32, shape: [-1, -1])
        #expect(ColumnarCheck.allRowsValid(plan, [(spec, .float([1, 1], shape: [1, 2]))]) == nil)
    }
}
