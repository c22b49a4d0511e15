import WardenJSON
import WardenONNX

/// Holds an Open Inference Protocol v2 answer to a contract sample's expected outputs. Each
/// difference names the output and the first element that differs, and how, but never a
/// value: the probe's report goes to logs, which never carry tensor contents.
public enum SampleAnswerCheck {
    public static func differences(answer: JSONValue, sample: ContractSample, contract: ModelContract) -> [String] {
        guard case let .array(tensors)? = answer["outputs"] else { return ["the answer has no \"outputs\" array"] }
        var found: [String] = []
        for (name, expected) in sample.outputs.sorted(by: { $0.key < $1.key }) {
            guard let tensor = tensors.first(where: { $0["name"] == .string(name) }) else {
                found.append("output '\(name)' is missing")
                continue
            }
            if let difference = difference(tensor, expected: expected, spec: contract.outputs.first { $0.name == name }, sample: sample) {
                found.append("output '\(name)': \(difference)")
            }
        }
        return found
    }

    private static func difference(_ tensor: JSONValue, expected: JSONValue, spec: TensorSpec?, sample: ContractSample) -> String? {
        if let spec, tensor["datatype"] != .string(spec.datatype.rawValue) {
            return "datatype is \(tensor["datatype"]?.serialized() ?? "missing"), the contract says \(spec.datatype.rawValue)"
        }
        guard let (wantShape, want) = try? JSONTensorCoding.shapeAndLeaves(expected) else { return "the expected value is not rectangular" }
        guard case let .array(shapeItems)? = tensor["shape"], let data = tensor["data"] else {
            return "has no shape or data (binary data is not requested by the probe)"
        }
        let gotShape = shapeItems.compactMap { if case let .integer(n) = $0 { Int(n) } else { nil } }
        guard gotShape == wantShape else { return "shape is \(gotShape), expected \(wantShape)" }
        // OIP v2 data is flat; some servers nest it by the shape. Either way, compare leaves.
        guard let (_, got) = try? JSONTensorCoding.shapeAndLeaves(data), got.count == want.count else {
            return "data has the wrong number of elements for shape \(gotShape)"
        }
        for (index, (have, wanted)) in zip(got, want).enumerated() {
            if let how = elementDifference(have, wanted, tolerance: sample.tolerance) {
                return "element \(index) of \(want.count) \(how)"
            }
        }
        return nil
    }

    private static func elementDifference(_ have: JSONValue, _ want: JSONValue, tolerance: ContractSample.Tolerance) -> String? {
        switch (JSONTensorCoding.numericValue(have), JSONTensorCoding.numericValue(want)) {
        case let (got?, wanted?):
            if got.isNaN || wanted.isNaN || got.isInfinite || wanted.isInfinite {
                return got.isNaN == wanted.isNaN && (got.isNaN || got == wanted) ? nil : "is not the expected non-finite value"
            }
            if case .integer = want, case .integer = have { return got == wanted ? nil : "differs from the expected integer" }
            let allowed = tolerance.absolute + tolerance.relative * abs(wanted)
            let off = abs(got - wanted)
            return off <= allowed ? nil : "is off by \(off), more than the \(allowed) allowed"
        default:
            return have == want ? nil : "differs from the expected value"
        }
    }
}
