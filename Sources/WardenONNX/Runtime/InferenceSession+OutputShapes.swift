extension InferenceSession {
    /// Outputs whose computed shape contradicts the shape the model declares (CatBoost's
    /// regressor declares [N] and produces [N, 1]). ONNX Runtime serves such outputs as
    /// computed, with a warning; Warden does the same, and says so at load.
    public func outputShapeWarnings(_ results: [String: Value]) -> [String] {
        outputs.compactMap { output in
            guard case let .tensor(_, declared?)? = output.declared, case let .tensor(tensor)? = results[output.name] else {
                return nil
            }
            let fits =
                declared.count == tensor.rank
                && zip(declared, tensor.shape).allSatisfy { dimension, size in
                    if case let .fixed(expected) = dimension { return expected == size }
                    return true
                }
            guard !fits else { return nil }
            let written = "[" + declared.map(\.description).joined(separator: ", ") + "]"
            return "output '\(output.name)' is declared \(written) but the model produces shape \(tensor.shape); "
                + "it is served as produced, as ONNX Runtime does"
        }
    }
}
