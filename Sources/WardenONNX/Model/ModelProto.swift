/// Plain Swift mirrors of the ONNX protobuf messages the engine reads. Fields the engine has
/// no use for are skipped while decoding, as protobuf allows.
public struct ModelProto: Sendable {
    public var irVersion: Int64 = 0
    public var opsetImports: [OpsetImport] = []
    public var producerName = ""
    public var producerVersion = ""
    public var domain = ""
    public var modelVersion: Int64 = 0
    public var docString = ""
    public var graph = GraphProto()
    public var metadata: [String: String] = [:]
    /// Model-local functions are not supported; their presence is recorded so the loader can say so.
    public var functionCount = 0
}

/// An `OperatorSetIdProto`: the empty domain means `ai.onnx`.
public struct OpsetImport: Sendable, Equatable {
    public var domain: String
    public var version: Int64
}

public struct GraphProto: Sendable {
    public var name = ""
    public var nodes: [NodeProto] = []
    public var initializers: [NamedTensor] = []
    public var sparseInitializerCount = 0
    public var inputs: [ValueInfo] = []
    public var outputs: [ValueInfo] = []
    public var valueInfo: [ValueInfo] = []
}

public struct NodeProto: Sendable {
    public var name = ""
    public var opType = ""
    public var domain = ""
    public var inputs: [String] = []
    public var outputs: [String] = []
    public var attributes: [AttributeProto] = []
}

public struct NamedTensor: Sendable {
    public var name: String
    public var tensor: Tensor
}

/// An attribute value. Only the fields its `type` names are meaningful.
public struct AttributeProto: Sendable {
    public enum Kind: Int32, Sendable {
        case undefined = 0, float = 1, int = 2, string = 3, tensor = 4, graph = 5
        case floats = 6, ints = 7, strings = 8, tensors = 9, graphs = 10
        case sparseTensor = 11, sparseTensors = 12, typeProto = 13, typeProtos = 14
    }

    public var name = ""
    public var kind: Kind = .undefined
    /// Set when the attribute refers to a function's attribute; only legal inside functions.
    public var refAttrName = ""
    public var f: Float = 0
    public var i: Int64 = 0
    public var s: [UInt8] = []
    public var t: NamedTensor?
    public var g: GraphProto?
    public var floats: [Float] = []
    public var ints: [Int64] = []
    public var strings: [[UInt8]] = []
    public var tensors: [NamedTensor] = []
    public var graphCount = 0
}

/// A graph input's or output's declared name and type.
public struct ValueInfo: Sendable {
    public var name = ""
    public var type: TypeProto?
}

/// A declared dimension: a fixed size, a symbolic name (such as a batch dimension), or unknown.
public enum ShapeDimension: Sendable, Equatable, CustomStringConvertible {
    case fixed(Int)
    case symbolic(String)
    case unknown

    public var description: String {
        switch self {
        case let .fixed(n): String(n)
        case let .symbolic(name): name
        case .unknown: "?"
        }
    }
}

/// The declared type of a value.
public indirect enum TypeProto: Sendable, Equatable {
    /// `shape` is nil when the shape is not declared at all (any rank).
    case tensor(elementType: Int32, shape: [ShapeDimension]?)
    case sequence(TypeProto?)
    case map(keyType: Int32, valueType: TypeProto?)
    case other(String)
}
