/// A type-preserving transform written once for every numeric element type.
protocol NumericTransform {
    func apply<T: NumericElement>(_ values: [T]) -> [T]
}

/// A type-preserving transform written once for float and double.
protocol FloatTransform {
    func apply<T: FloatElement>(_ values: [T]) -> [T]
}

extension Tensor {
    func mapNumeric(_ transform: some NumericTransform, _ inputs: KernelInputs) throws -> Tensor {
        switch storage {
        case let .float(v): Tensor(shape: shape, elements: transform.apply(v))
        case let .double(v): Tensor(shape: shape, elements: transform.apply(v))
        case let .int32(v): Tensor(shape: shape, elements: transform.apply(v))
        case let .int64(v): Tensor(shape: shape, elements: transform.apply(v))
        default: throw inputs.fail("expected a numeric tensor, got \(elementType)")
        }
    }

    func mapFloat(_ transform: some FloatTransform, _ inputs: KernelInputs) throws -> Tensor {
        switch storage {
        case let .float(v): Tensor(shape: shape, elements: transform.apply(v))
        case let .double(v): Tensor(shape: shape, elements: transform.apply(v))
        default: throw inputs.fail("expected a float or double tensor, got \(elementType)")
        }
    }
}
