/// Element types as Swift types, so kernels are written once as generics and specialised by
/// the compiler for each type.
protocol TensorElement: Sendable, Equatable {
    static var elementType: ElementType { get }
    static func storage(_ values: [Self]) -> TensorStorage
    static func values(_ storage: TensorStorage) -> [Self]?
}

/// Types that support arithmetic and ordering: the four numeric element types.
protocol NumericElement: TensorElement, Numeric, Comparable {
    init(double: Double)
    var double: Double { get }
    static var isInteger: Bool { get }
    static var lowest: Self { get }
    static var highest: Self { get }
    /// The extreme finite values (Clip's default bounds in ONNX Runtime).
    static var lowestFinite: Self { get }
    static var highestFinite: Self { get }
    // Arithmetic that never traps: integers wrap (as in C and ONNX Runtime), and integer
    // division by zero yields zero, with kernels refusing it before it happens.
    static func add(_ a: Self, _ b: Self) -> Self
    static func subtract(_ a: Self, _ b: Self) -> Self
    static func multiply(_ a: Self, _ b: Self) -> Self
    static func divide(_ a: Self, _ b: Self) -> Self
}

extension NumericElement where Self: BinaryFloatingPoint {
    static func add(_ a: Self, _ b: Self) -> Self { a + b }
    static func subtract(_ a: Self, _ b: Self) -> Self { a - b }
    static func multiply(_ a: Self, _ b: Self) -> Self { a * b }
    static func divide(_ a: Self, _ b: Self) -> Self { a / b }
}

extension NumericElement where Self: FixedWidthInteger {
    static func add(_ a: Self, _ b: Self) -> Self { a &+ b }
    static func subtract(_ a: Self, _ b: Self) -> Self { a &- b }
    static func multiply(_ a: Self, _ b: Self) -> Self { a &* b }
    static func divide(_ a: Self, _ b: Self) -> Self {
        b == 0 ? 0 : a.dividedReportingOverflow(by: b).partialValue
    }
}

/// Float and Double: the element types with transcendental functions.
protocol FloatElement: NumericElement, BinaryFloatingPoint {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func sqrt(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func erf(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
}

extension Float: FloatElement {
    static let elementType = ElementType.float
    static func storage(_ values: [Float]) -> TensorStorage { .float(values) }
    static func values(_ storage: TensorStorage) -> [Float]? { if case let .float(v) = storage { v } else { nil } }
    init(double: Double) { self.init(double) }
    var double: Double { Double(self) }
    static let isInteger = false
    static let lowest = -Float.infinity
    static let highest = Float.infinity
    static let lowestFinite = -Float.greatestFiniteMagnitude
    static let highestFinite = Float.greatestFiniteMagnitude
    static func exp(_ x: Float) -> Float { expf(x) }
    static func log(_ x: Float) -> Float { logf(x) }
    static func sqrt(_ x: Float) -> Float { sqrtf(x) }
    static func tanh(_ x: Float) -> Float { tanhf(x) }
    static func erf(_ x: Float) -> Float { erff(x) }
    static func pow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
}

extension Double: FloatElement {
    static let elementType = ElementType.double
    static func storage(_ values: [Double]) -> TensorStorage { .double(values) }
    static func values(_ storage: TensorStorage) -> [Double]? { if case let .double(v) = storage { v } else { nil } }
    init(double: Double) { self = double }
    var double: Double { self }
    static let isInteger = false
    static let lowest = -Double.infinity
    static let highest = Double.infinity
    static let lowestFinite = -Double.greatestFiniteMagnitude
    static let highestFinite = Double.greatestFiniteMagnitude
    static func exp(_ x: Double) -> Double { c_exp(x) }
    static func log(_ x: Double) -> Double { c_log(x) }
    static func sqrt(_ x: Double) -> Double { c_sqrt(x) }
    static func tanh(_ x: Double) -> Double { c_tanh(x) }
    static func erf(_ x: Double) -> Double { c_erf(x) }
    static func pow(_ x: Double, _ y: Double) -> Double { c_pow(x, y) }
}

extension Int32: NumericElement {
    static let elementType = ElementType.int32
    static func storage(_ values: [Int32]) -> TensorStorage { .int32(values) }
    static func values(_ storage: TensorStorage) -> [Int32]? { if case let .int32(v) = storage { v } else { nil } }
    /// Truncating; NaN and out-of-range values give Int32.min, as x86-64's conversion
    /// instruction (and so ONNX Runtime there) does. Never traps on hostile values.
    init(double: Double) { self = double.isNaN || double >= 2_147_483_648 || double < -2_147_483_648 ? .min : Int32(double) }
    var double: Double { Double(self) }
    static let isInteger = true
    static let lowest = Int32.min
    static let highest = Int32.max
    static let lowestFinite = Int32.min
    static let highestFinite = Int32.max
}

extension Int64: NumericElement {
    static let elementType = ElementType.int64
    static func storage(_ values: [Int64]) -> TensorStorage { .int64(values) }
    static func values(_ storage: TensorStorage) -> [Int64]? { if case let .int64(v) = storage { v } else { nil } }
    /// Truncating; NaN and out-of-range values give Int64.min, as on x86-64.
    init(double: Double) {
        self = double.isNaN || double >= 9.223372036854775807e18 || double < -9.223372036854775808e18 ? .min : Int64(double)
    }
    var double: Double { Double(self) }
    static let isInteger = true
    static let lowest = Int64.min
    static let highest = Int64.max
    static let lowestFinite = Int64.min
    static let highestFinite = Int64.max
}

extension Bool: TensorElement {
    static let elementType = ElementType.bool
    static func storage(_ values: [Bool]) -> TensorStorage { .bool(values) }
    static func values(_ storage: TensorStorage) -> [Bool]? { if case let .bool(v) = storage { v } else { nil } }
}

extension String: TensorElement {
    static let elementType = ElementType.string
    static func storage(_ values: [String]) -> TensorStorage { .string(values) }
    static func values(_ storage: TensorStorage) -> [String]? { if case let .string(v) = storage { v } else { nil } }
}

extension Tensor {
    /// The elements as `T`, or an error naming the node if the tensor holds another type.
    func elements<T: TensorElement>(_ type: T.Type, _ inputs: KernelInputs) throws -> [T] {
        guard let values = T.values(storage) else {
            throw inputs.fail("expected a tensor of \(T.elementType), got \(elementType)")
        }
        return values
    }

    init<T: TensorElement>(shape: [Int], elements: [T]) {
        self.init(shape: shape, storage: T.storage(elements))
    }

    /// Every element converted to Double (numeric and bool tensors), for shape and index inputs.
    func doubles() -> [Double]? {
        switch storage {
        case let .float(v): v.map(Double.init)
        case let .double(v): v
        case let .uint8(v): v.map(Double.init)
        case let .int8(v): v.map(Double.init)
        case let .float16(v): v.map(Double.init)
        case let .int32(v): v.map(Double.init)
        case let .int64(v): v.map(Double.init)
        case let .bool(v): v.map { $0 ? 1 : 0 }
        case .string: nil
        }
    }

    /// Integer contents (int32 or int64), for shapes, axes and indices.
    func integers(_ inputs: KernelInputs, what: String) throws -> [Int] {
        switch storage {
        case let .int64(v): return v.map { Int($0) }
        case let .int32(v): return v.map { Int($0) }
        default: throw inputs.fail("\(what) must be an int64 or int32 tensor, got \(elementType)")
        }
    }
}

// The C library's double-precision functions, named apart so the static requirements above do
// not shadow them.
private func c_exp(_ x: Double) -> Double { exp(x) }
private func c_log(_ x: Double) -> Double { log(x) }
private func c_sqrt(_ x: Double) -> Double { x.squareRoot() }
private func c_tanh(_ x: Double) -> Double { tanh(x) }
private func c_erf(_ x: Double) -> Double { erf(x) }
private func c_pow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
