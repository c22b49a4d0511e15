/// The quantization operators of dynamically and statically quantized models:
/// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger and QLinearMatMul,
/// computed as ONNX Runtime's CPU kernels compute them: float32 scaling, rounding half to
/// even, saturation to the 8-bit range, NaN quantized to the range's minimum, and int32
/// accumulation for the integer products.
enum QuantizationOperators {
    static let all: [String: KernelFactory] = [
        "QuantizeLinear": quantizeLinear, "DequantizeLinear": dequantizeLinear,
        "DynamicQuantizeLinear": dynamicQuantizeLinear, "MatMulInteger": matMulInteger, "QLinearMatMul": qLinearMatMul,
    ]

    static let eightBitTypes: [ElementType] = [.uint8, .int8]

    static let quantizeLinear: KernelFactory = { context in
        try context.requireInputs(2...3)
        try context.requireType(0, in: [.float])
        try context.requireType(1, in: [.float])
        try context.requireType(2, in: eightBitTypes)
        let layout = try ScaleLayout(context)
        _ = try context.attributes.int("saturate")  // float8 only: no effect on 8-bit integers
        let declared = try context.attributes.int("output_dtype", default: 0)
        let outputType: ElementType =
            context.elementType(2) ?? (declared == 0 ? .uint8 : ElementType(onnx: Int32(truncatingIfNeeded: declared)) ?? .uint8)
        guard eightBitTypes.contains(outputType) else { throw context.unsupported("QuantizeLinear to \(outputType)") }
        return LoweredNode(outputs: [.tensor(outputType)]) { inputs in
            let x = try inputs.tensor(0)
            let values = try x.elements(Float.self, inputs)
            let scale = try inputs.tensor(1)
            let scales = try scale.elements(Float.self, inputs)
            let zeroPoint = try inputs.optionalTensor(2)
            let zeroPoints: [Float] = zeroPoint?.doubles()?.map { Float($0) } ?? [0]
            let index = try layout.indexer(x.shape, scale.shape, zeroPoints.count == 1 ? nil : zeroPoint?.shape, inputs)
            let type = zeroPoint?.elementType ?? outputType
            let range: ClosedRange<Float> = type == .int8 ? -128...127 : 0...255
            let quantized = values.indices.map { i -> Int32 in
                let (s, z) = index(i)
                return quantize(values[i], scale: scales[s], zeroPoint: zeroPoints[z], range: range)
            }
            return [.tensor(eightBit(quantized, type, x.shape))]
        }
    }

    /// round_half_even(x / scale) + zero point, saturated; NaN becomes the minimum.
    static func quantize(_ x: Float, scale: Float, zeroPoint: Float, range: ClosedRange<Float>) -> Int32 {
        let value = (x / scale).rounded(.toNearestOrEven) + zeroPoint
        if value.isNaN { return Int32(range.lowerBound) }
        return Int32(Swift.min(Swift.max(value, range.lowerBound), range.upperBound))
    }

    static func eightBit(_ values: [Int32], _ type: ElementType, _ shape: [Int]) -> Tensor {
        type == .int8
            ? .int8(values.map { Int8(truncatingIfNeeded: $0) }, shape: shape)
            : .uint8(values.map { UInt8(truncatingIfNeeded: $0) }, shape: shape)
    }

    static let dequantizeLinear: KernelFactory = { context in
        try context.requireInputs(2...3)
        try context.requireType(0, in: [.uint8, .int8, .int32])
        try context.requireType(1, in: [.float])
        let layout = try ScaleLayout(context)
        return LoweredNode(outputs: [.tensor(.float)]) { inputs in
            let x = try inputs.tensor(0), scale = try inputs.tensor(1)
            guard let values = x.doubles(), [.uint8, .int8, .int32].contains(x.elementType) else {
                throw inputs.fail("DequantizeLinear needs uint8, int8 or int32 input")
            }
            let scales = try scale.elements(Float.self, inputs)
            let zeroPoint = try inputs.optionalTensor(2)
            let zeroPoints = zeroPoint?.doubles() ?? [0]
            let index = try layout.indexer(x.shape, scale.shape, zeroPoints.count == 1 ? nil : zeroPoint?.shape, inputs)
            let result = values.indices.map { i -> Float in
                let (s, z) = index(i)
                return Float(Int32(values[i]) &- Int32(zeroPoints[z])) * scales[s]
            }
            return [.tensor(.float(result, shape: x.shape))]
        }
    }

    /// One scale for the whole tensor, one per slice along `axis`, or (opset 21) one per
    /// block of `block_size` elements along `axis`.
    struct ScaleLayout {
        let axis: Int
        let blockSize: Int

        init(_ context: NodeContext) throws {
            axis = Int(try context.attributes.int("axis", default: 1))
            blockSize = Int(try context.attributes.int("block_size", default: 0))
            guard blockSize >= 0 else { throw context.invalid("block_size must not be negative") }
        }

        /// For flat element i, the offsets of its scale and of its zero point.
        func indexer(_ shape: [Int], _ scaleShape: [Int], _ zeroPointShape: [Int]?, _ inputs: KernelInputs) throws -> (Int) -> (
            Int, Int
        ) {
            let scaleCount = scaleShape.reduce(1, *)
            if let zeroPointShape, zeroPointShape != scaleShape {
                throw inputs.fail("zero point shape \(zeroPointShape) differs from scale shape \(scaleShape)")
            }
            let perElementZero = zeroPointShape != nil
            if scaleCount == 1 { return { _ in (0, 0) } }
            let resolved = try Axis.normalize(axis, rank: shape.count, inputs)
            let (_, size, inner) = Axis.split(shape, at: resolved)
            if blockSize == 0 {
                guard scaleShape == [size] else { throw inputs.fail("per-axis scale must have \(size) elements, has shape \(scaleShape)") }
                return { i in
                    let s = (i / inner) % size
                    return (s, perElementZero ? s : 0)
                }
            }
            let blocks = (size + blockSize - 1) / blockSize
            var expected = shape
            expected[resolved] = blocks
            guard scaleShape == expected else { throw inputs.fail("blocked scale must have shape \(expected), has \(scaleShape)") }
            let block = blockSize
            return { i in
                let (outer, position, within) = (i / (size * inner), (i / inner) % size, i % inner)
                let s = (outer * blocks + position / block) * inner + within
                return (s, perElementZero ? s : 0)
            }
        }
    }

    static let dynamicQuantizeLinear: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: [.float])
        return LoweredNode(outputs: [.tensor(.uint8), .tensor(.float), .tensor(.uint8)]) { inputs in
            let x = try inputs.tensor(0)
            let values = try x.elements(Float.self, inputs)
            // The range always includes zero; NaN is skipped when finding it.
            var low: Float = 0, high: Float = 0
            for value in values where !value.isNaN {
                low = Swift.min(low, value)
                high = Swift.max(high, value)
            }
            let scale = high == low ? 1 : (high - low) / 255
            let zeroPoint = Swift.max(0, Swift.min(255, 0 - low / scale)).rounded(.toNearestOrEven)
            let quantized = values.map { quantize($0, scale: scale, zeroPoint: zeroPoint, range: 0...255) }
            return [
                .tensor(eightBit(quantized, .uint8, x.shape)), .tensor(.float([scale], shape: [])),
                .tensor(.uint8([UInt8(zeroPoint.isNaN ? 0 : zeroPoint)], shape: [])),
            ]
        }
    }

    static let matMulInteger: KernelFactory = { context in
        try context.requireInputs(2...4)
        for index in 0..<4 { try context.requireType(index, in: eightBitTypes) }
        return LoweredNode(outputs: [.tensor(.int32)]) { inputs in
            let a = try inputs.tensor(0), b = try inputs.tensor(1)
            let product = try integerProduct(
                a, try inputs.optionalTensor(2), b, try inputs.optionalTensor(3), inputs)
            return [.tensor(product)]
        }
    }

    /// (A − a_zero_point) · (B − b_zero_point) in int32, with MatMul's batching. A's zero
    /// point is a scalar; B's a scalar or one per column.
    static func integerProduct(_ a: Tensor, _ aZero: Tensor?, _ b: Tensor, _ bZero: Tensor?, _ inputs: KernelInputs) throws
        -> Tensor
    {
        guard let aValues = a.doubles(), let bValues = b.doubles(), eightBitTypes.contains(a.elementType),
            eightBitTypes.contains(b.elementType)
        else { throw inputs.fail("integer products need uint8 or int8 operands") }
        let aZeros = aZero?.doubles() ?? [0], bZeros = bZero?.doubles() ?? [0]
        guard aZeros.count == 1 else { throw inputs.fail("A's zero point must be a scalar") }
        let columns = b.shape.last ?? 1
        guard bZeros.count == 1 || bZeros.count == columns else {
            throw inputs.fail("B's zero point must be a scalar or have one value per column")
        }
        let left = aValues.map { Int32($0) &- Int32(aZeros[0]) }
        let right = bValues.indices.map { i in Int32(bValues[i]) &- Int32(bZeros[bZeros.count == 1 ? 0 : i % columns]) }
        return try MatrixOperators.batchedMatMul(left, a.shape, right, b.shape, inputs)
    }

    static let qLinearMatMul: KernelFactory = { context in
        try context.requireInputs(8...8)
        for index in [0, 2, 3, 5, 7] { try context.requireType(index, in: eightBitTypes) }
        for index in [1, 4, 6] { try context.requireType(index, in: [.float]) }
        return LoweredNode(outputs: [context.kind(7)]) { inputs in
            let a = try inputs.tensor(0), b = try inputs.tensor(3), yZero = try inputs.tensor(7)
            let scales = try [1, 4, 6].map { index -> Float in
                let values = try inputs.tensor(index).elements(Float.self, inputs)
                guard values.count == 1 else { throw inputs.fail("QLinearMatMul scales must be scalars") }
                return values[0]
            }
            guard let zero = yZero.doubles(), zero.count == 1 else { throw inputs.fail("y_zero_point must be a scalar") }
            let product = try integerProduct(a, try inputs.tensor(2), b, try inputs.tensor(5), inputs)
            let multiplier = scales[0] * scales[1] / scales[2]
            let range: ClosedRange<Float> = yZero.elementType == .int8 ? -128...127 : 0...255
            let values = try product.elements(Int32.self, inputs).map {
                quantize(Float($0) * multiplier, scale: 1, zeroPoint: Float(zero[0]), range: range)
            }
            return [.tensor(eightBit(values, yZero.elementType, product.shape))]
        }
    }
}
