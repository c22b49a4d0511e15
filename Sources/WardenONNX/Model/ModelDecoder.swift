/// Decodes an ONNX `ModelProto` from bytes, within `DecodingLimits`.
///
/// Hand-written rather than generated: the decoder is the first code that touches an untrusted
/// file, so it is kept small enough to read in one sitting and every length and count in it is
/// bounded. Field numbers follow onnx/onnx.proto (IR version 10).
public struct ModelDecoder {
    public let limits: DecodingLimits
    private var nodeCount = 0

    public init(limits: DecodingLimits = DecodingLimits()) {
        self.limits = limits
    }

    public static func decode(_ bytes: [UInt8], limits: DecodingLimits = DecodingLimits()) throws -> ModelProto {
        var decoder = ModelDecoder(limits: limits)
        return try decoder.decodeModel(bytes)
    }

    mutating func decodeModel(_ bytes: [UInt8]) throws -> ModelProto {
        guard bytes.count <= limits.maxFileBytes else {
            throw ModelLoadError.fileTooLarge(bytes: bytes.count, limit: limits.maxFileBytes)
        }
        var reader = WireReader(bytes: bytes)
        var model = ModelProto()
        var sawGraph = false
        while let (field, wire) = try reader.nextField() {
            switch field {
            case 1: model.irVersion = try reader.readInt64(wire, field: "ModelProto.ir_version")
            case 2: model.producerName = try reader.readString(wire, field: "ModelProto.producer_name", limits: limits)
            case 3: model.producerVersion = try reader.readString(wire, field: "ModelProto.producer_version", limits: limits)
            case 4: model.domain = try reader.readString(wire, field: "ModelProto.domain", limits: limits)
            case 5: model.modelVersion = try reader.readInt64(wire, field: "ModelProto.model_version")
            case 6: model.docString = try reader.readString(wire, field: "ModelProto.doc_string", limits: limits)
            case 7:
                model.graph = try decodeGraph(try message(&reader, wire, "ModelProto.graph"), depth: 1)
                sawGraph = true
            case 8: model.opsetImports.append(try decodeOpset(try message(&reader, wire, "ModelProto.opset_import")))
            case 14:
                let (key, value) = try decodeStringPair(try message(&reader, wire, "ModelProto.metadata_props"))
                model.metadata[key] = value
            case 25:
                _ = try message(&reader, wire, "ModelProto.functions")
                model.functionCount += 1
            default: try reader.skip(wire)
            }
        }
        guard sawGraph else { throw ModelLoadError.invalidModel("the file has no graph (is it an ONNX model?)") }
        return model
    }

    /// Reads a nested message field and returns a reader over it.
    private func message(_ reader: inout WireReader, _ wire: WireType, _ field: String) throws -> WireReader {
        try reader.expect(wire, .lengthDelimited, field: field)
        return reader.reader(for: try reader.readLengthDelimited())
    }

    private func checkDepth(_ depth: Int) throws {
        guard depth <= limits.maxNesting else {
            throw ModelLoadError.limitExceeded(what: "message nesting depth", limit: limits.maxNesting, actual: depth)
        }
    }

    private func decodeOpset(_ reader: WireReader) throws -> OpsetImport {
        var reader = reader
        var opset = OpsetImport(domain: "", version: 0)
        while let (field, wire) = try reader.nextField() {
            switch field {
            case 1: opset.domain = try reader.readString(wire, field: "OperatorSetIdProto.domain", limits: limits)
            case 2: opset.version = try reader.readInt64(wire, field: "OperatorSetIdProto.version")
            default: try reader.skip(wire)
            }
        }
        return opset
    }

    private func decodeStringPair(_ reader: WireReader) throws -> (String, String) {
        var reader = reader
        var key = "", value = ""
        while let (field, wire) = try reader.nextField() {
            switch field {
            case 1: key = try reader.readString(wire, field: "StringStringEntryProto.key", limits: limits)
            case 2: value = try reader.readString(wire, field: "StringStringEntryProto.value", limits: limits)
            default: try reader.skip(wire)
            }
        }
        return (key, value)
    }

    mutating func decodeGraph(_ reader: WireReader, depth: Int) throws -> GraphProto {
        try checkDepth(depth)
        var reader = reader
        var graph = GraphProto()
        while let (field, wire) = try reader.nextField() {
            switch field {
            case 1:
                nodeCount += 1
                guard nodeCount <= limits.maxNodes else {
                    throw ModelLoadError.limitExceeded(what: "node count", limit: limits.maxNodes, actual: nodeCount)
                }
                graph.nodes.append(try decodeNode(try message(&reader, wire, "GraphProto.node"), depth: depth + 1))
            case 2: graph.name = try reader.readString(wire, field: "GraphProto.name", limits: limits)
            case 5: graph.initializers.append(try decodeTensor(try message(&reader, wire, "GraphProto.initializer")))
            case 11: graph.inputs.append(try decodeValueInfo(try message(&reader, wire, "GraphProto.input"), depth: depth + 1))
            case 12: graph.outputs.append(try decodeValueInfo(try message(&reader, wire, "GraphProto.output"), depth: depth + 1))
            case 13: graph.valueInfo.append(try decodeValueInfo(try message(&reader, wire, "GraphProto.value_info"), depth: depth + 1))
            case 15:
                _ = try message(&reader, wire, "GraphProto.sparse_initializer")
                graph.sparseInitializerCount += 1
            default: try reader.skip(wire)
            }
        }
        return graph
    }

    private mutating func decodeNode(_ reader: WireReader, depth: Int) throws -> NodeProto {
        try checkDepth(depth)
        var reader = reader
        var node = NodeProto()
        while let (field, wire) = try reader.nextField() {
            switch field {
            case 1: node.inputs.append(try reader.readString(wire, field: "NodeProto.input", limits: limits))
            case 2: node.outputs.append(try reader.readString(wire, field: "NodeProto.output", limits: limits))
            case 3: node.name = try reader.readString(wire, field: "NodeProto.name", limits: limits)
            case 4: node.opType = try reader.readString(wire, field: "NodeProto.op_type", limits: limits)
            case 5: node.attributes.append(try decodeAttribute(try message(&reader, wire, "NodeProto.attribute"), depth: depth + 1))
            case 7: node.domain = try reader.readString(wire, field: "NodeProto.domain", limits: limits)
            default: try reader.skip(wire)
            }
        }
        return node
    }

    private mutating func decodeAttribute(_ reader: WireReader, depth: Int) throws -> AttributeProto {
        try checkDepth(depth)
        var reader = reader
        var attribute = AttributeProto()
        var rawFloats: [UInt32] = []
        let maxElements = limits.maxTensorElements
        while let (field, wire) = try reader.nextField() {
            switch field {
            case 1: attribute.name = try reader.readString(wire, field: "AttributeProto.name", limits: limits)
            case 2: attribute.f = try reader.readFloat(wire, field: "AttributeProto.f")
            case 3: attribute.i = try reader.readInt64(wire, field: "AttributeProto.i")
            case 4: attribute.s = try reader.readBytes(wire, field: "AttributeProto.s", limits: limits)
            case 5: attribute.t = try decodeTensor(try message(&reader, wire, "AttributeProto.t"), widenSmallIntegers: true)
            case 6: attribute.g = try decodeGraph(try message(&reader, wire, "AttributeProto.g"), depth: depth + 1)
            case 7: try reader.appendFixed32(wire, to: &rawFloats, field: "AttributeProto.floats", limit: maxElements)
            case 8: try reader.appendVarints(wire, to: &attribute.ints, field: "AttributeProto.ints", limit: maxElements)
            case 9:
                try WireReader.checkCount(attribute.strings.count + 1, limit: maxElements, field: "AttributeProto.strings")
                attribute.strings.append(try reader.readBytes(wire, field: "AttributeProto.strings", limits: limits))
            case 10: attribute.tensors.append(try decodeTensor(try message(&reader, wire, "AttributeProto.tensors")))
            case 11:
                _ = try decodeGraph(try message(&reader, wire, "AttributeProto.graphs"), depth: depth + 1)
                attribute.graphCount += 1
            case 20:
                let raw = try reader.readInt32(wire, field: "AttributeProto.type")
                guard let kind = AttributeProto.Kind(rawValue: raw) else {
                    throw ModelLoadError.invalidModel("attribute '\(attribute.name)' has unknown type \(raw)")
                }
                attribute.kind = kind
            case 21: attribute.refAttrName = try reader.readString(wire, field: "AttributeProto.ref_attr_name", limits: limits)
            default: try reader.skip(wire)
            }
        }
        attribute.floats = rawFloats.map(Float.init(bitPattern:))
        return attribute
    }

    private func decodeValueInfo(_ reader: WireReader, depth: Int) throws -> ValueInfo {
        try checkDepth(depth)
        var reader = reader
        var info = ValueInfo()
        while let (field, wire) = try reader.nextField() {
            switch field {
            case 1: info.name = try reader.readString(wire, field: "ValueInfoProto.name", limits: limits)
            case 2: info.type = try decodeType(try message(&reader, wire, "ValueInfoProto.type"), depth: depth + 1)
            default: try reader.skip(wire)
            }
        }
        return info
    }

    private func decodeType(_ reader: WireReader, depth: Int) throws -> TypeProto {
        try checkDepth(depth)
        var reader = reader
        var result = TypeProto.other("unset")
        while let (field, wire) = try reader.nextField() {
            switch field {
            case 1: result = try decodeTensorType(try message(&reader, wire, "TypeProto.tensor_type"), depth: depth + 1)
            case 4:
                var inner = try message(&reader, wire, "TypeProto.sequence_type")
                var element: TypeProto?
                while let (f, w) = try inner.nextField() {
                    if f == 1 {
                        element = try decodeType(try message(&inner, w, "Sequence.elem_type"), depth: depth + 2)
                    } else {
                        try inner.skip(w)
                    }
                }
                result = .sequence(element)
            case 5:
                var inner = try message(&reader, wire, "TypeProto.map_type")
                var key: Int32 = 0
                var value: TypeProto?
                while let (f, w) = try inner.nextField() {
                    switch f {
                    case 1: key = try inner.readInt32(w, field: "Map.key_type")
                    case 2: value = try decodeType(try message(&inner, w, "Map.value_type"), depth: depth + 2)
                    default: try inner.skip(w)
                    }
                }
                result = .map(keyType: key, valueType: value)
            case 8: _ = try message(&reader, wire, "TypeProto.sparse_tensor_type"); result = .other("sparse tensor")
            case 9: _ = try message(&reader, wire, "TypeProto.optional_type"); result = .other("optional")
            default: try reader.skip(wire)
            }
        }
        return result
    }

    private func decodeTensorType(_ reader: WireReader, depth: Int) throws -> TypeProto {
        var reader = reader
        var elementType: Int32 = 0
        var shape: [ShapeDimension]?
        while let (field, wire) = try reader.nextField() {
            switch field {
            case 1: elementType = try reader.readInt32(wire, field: "Tensor.elem_type")
            case 2:
                var shapeReader = try message(&reader, wire, "Tensor.shape")
                var dims: [ShapeDimension] = []
                while let (f, w) = try shapeReader.nextField() {
                    guard f == 1 else { try shapeReader.skip(w); continue }
                    dims.append(try decodeDimension(try message(&shapeReader, w, "TensorShapeProto.dim")))
                    guard dims.count <= limits.maxRank else {
                        throw ModelLoadError.limitExceeded(what: "declared rank", limit: limits.maxRank, actual: dims.count)
                    }
                }
                shape = dims
            default: try reader.skip(wire)
            }
        }
        return .tensor(elementType: elementType, shape: shape)
    }

    private func decodeDimension(_ reader: WireReader) throws -> ShapeDimension {
        var reader = reader
        var dimension = ShapeDimension.unknown
        while let (field, wire) = try reader.nextField() {
            switch field {
            case 1:
                let value = try reader.readInt64(wire, field: "ShapeDimension.dim_value")
                guard value >= 0, value <= Int64(limits.maxTensorElements) else {
                    throw ModelLoadError.invalidModel("declared dimension \(value) is negative or over the element limit")
                }
                dimension = .fixed(Int(value))
            case 2:
                let name = try reader.readString(wire, field: "ShapeDimension.dim_param", limits: limits)
                dimension = name.isEmpty ? .unknown : .symbolic(name)
            default: try reader.skip(wire)
            }
        }
        return dimension
    }
}
