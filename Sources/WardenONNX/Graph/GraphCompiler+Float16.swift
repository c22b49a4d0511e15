/// Half precision as ONNX Runtime's CPU provider runs it: it has float16 kernels only for
/// casts, data movement and LayerNormalization, so it computes every other float16 node in float32 and casts
/// around it, then removes the casts that cancel out (a Cast to float16 whose consumers all
/// compute in float32 disappears, with its rounding). Warden does the same in one rule:
/// float16 values are held as float32, and a value is rounded to half precision only where
/// ORT materialises it as float16 — a graph output, the input of a float16 kernel, or the
/// output of a data-movement kernel.
enum HalfPrecision {
    /// Operators ORT runs on float16 data directly (x86-64 CPU provider; LayerNormalization
    /// converts to float32 inside and rounds its outputs).
    static let nativeOperators: Set<String> = [
        "Cast", "CastLike", "Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split",
        "Gather", "GatherElements", "Slice", "Expand", "Tile", "Shape", "Size", "Constant", "ConstantOfShape", "Where",
        "LayerNormalization",
    ]

    /// Casts produce a float16 value only if it is materialised; they are removed otherwise.
    static let removableCasts: Set<String> = ["Cast", "CastLike"]

    /// The float16 kernels whose reading a value makes ORT materialise it (a Cast reading it
    /// is removed with the cast before it).
    static let materialisingReaders = nativeOperators.subtracting(removableCasts)

    /// What a factory sees: float16 inputs appear as float32, which they are held as.
    static func computeKinds(_ kinds: [ValueKind?]) -> [ValueKind?] {
        kinds.map { $0 == .tensor(.float16) ? .tensor(.float) : $0 }
    }

    /// The kinds a node's outputs have in the model's terms: a node computed in float32 on
    /// float16 inputs gives float16 outputs (ONNX operators keep their input type).
    static func modelKinds(_ outputs: [ValueKind], node: NodeProto, inputKinds: [ValueKind?]) -> [ValueKind] {
        if node.opType == "CastLike", inputKinds.count > 1, let target = inputKinds[1] {
            return outputs.map { $0 == .tensor(.float) ? target : $0 }
        }
        guard !removableCasts.contains(node.opType), inputKinds.contains(.tensor(.float16)) else { return outputs }
        return outputs.map { $0 == .tensor(.float) ? .tensor(.float16) : $0 }
    }

    /// Whether ORT holds the node's float16 output `name` in half precision.
    static func isMaterialised(_ name: String, producer: NodeProto, graphOutputs: Set<String>, readByNative: Set<String>) -> Bool {
        graphOutputs.contains(name) || readByNative.contains(name)
            || (nativeOperators.contains(producer.opType) && !removableCasts.contains(producer.opType))
    }

    static func rounded(_ values: [Float]) -> [Float] {
        values.map { Float(Float16($0)) }
    }
}

/// Rounds the chosen outputs of a kernel to half precision (they stay float32-held).
struct HalfPrecisionRounding: Kernel {
    let inner: any Kernel
    let outputs: Set<Int>

    func run(_ inputs: KernelInputs) throws -> [Value] {
        var results = try inner.run(inputs)
        for index in outputs where index < results.count {
            if case let .tensor(tensor) = results[index], case let .float(values) = tensor.storage {
                results[index] = .tensor(.float(HalfPrecision.rounded(values), shape: tensor.shape))
            }
        }
        return results
    }
}

extension Tensor {
    /// A float16 tensor as the float32 values the engine computes with (exact); others as they are.
    var heldAsFloat: Tensor {
        guard case let .float16(values) = storage else { return self }
        return .float(values.map(Float.init), shape: shape)
    }

    /// A float32-held float16 value back in half precision, for a graph output.
    var asHalfPrecision: Tensor {
        guard case let .float(values) = storage else { return self }
        return .float16(values.map { Float16($0) }, shape: shape)
    }
}
