/// A minimal protobuf encoder, so tests can build ONNX files byte by byte — including the
/// malformed and unusual encodings (unpacked repeated fields, unknown fields, oversized
/// lengths) that converters never produce on request.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ wire: Int) { varint(UInt64(field << 3 | wire)) }

    mutating func int(_ field: Int, _ value: Int64) {
        key(field, 0)
        varint(UInt64(bitPattern: value))
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        fixed32(value.bitPattern)
    }

    mutating func fixed32(_ value: UInt32) {
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
    }

    mutating func fixed64(_ value: UInt64) {
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    mutating func data(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ field: Int, _ value: String) { data(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        data(field, inner.bytes)
    }

    mutating func ints(_ field: Int, _ values: [Int64], packed: Bool) {
        if packed {
            var inner = ProtobufWriter()
            for v in values { inner.varint(UInt64(bitPattern: v)) }
            data(field, inner.bytes)
        } else {
            for v in values { int(field, v) }
        }
    }

    mutating func floats(_ field: Int, _ values: [Float], packed: Bool) {
        if packed {
            var inner = ProtobufWriter()
            for v in values { inner.fixed32(v.bitPattern) }
            data(field, inner.bytes)
        } else {
            for v in values { float(field, v) }
        }
    }
}

/// Builds small ONNX models for tests, with ONNX field numbers.
struct ONNXModelBuilder {
    struct Node {
        var op: String
        var domain = ""
        var inputs: [String]
        var outputs: [String]
        var attributes: [(inout ProtobufWriter) -> Void] = []
    }

    var opsets: [(String, Int64)] = [("", 17)]
    var inputs: [(name: String, type: Int64, shape: [Int64?])] = []
    var outputs: [(name: String, type: Int64)] = []
    var nodes: [Node] = []
    var initializers: [(inout ProtobufWriter) -> Void] = []
    var extra: (inout ProtobufWriter) -> Void = { _ in }

    func build() -> [UInt8] {
        var model = ProtobufWriter()
        model.int(1, 8)
        for (domain, version) in opsets {
            model.message(8) { o in
                if !domain.isEmpty { o.string(1, domain) }
                o.int(2, version)
            }
        }
        model.message(7) { g in
            for node in nodes {
                g.message(1) { n in
                    for i in node.inputs { n.string(1, i) }
                    for o in node.outputs { n.string(2, o) }
                    n.string(4, node.op)
                    if !node.domain.isEmpty { n.string(7, node.domain) }
                    for attribute in node.attributes { n.message(5, attribute) }
                }
            }
            g.string(2, "test")
            for initializer in initializers { g.message(5, initializer) }
            for input in inputs {
                g.message(11) { v in
                    v.string(1, input.name)
                    v.message(2) { t in
                        t.message(1) { tensor in
                            tensor.int(1, input.type)
                            tensor.message(2) { shape in
                                for dim in input.shape {
                                    shape.message(1) { d in
                                        if let dim { d.int(1, dim) } else { d.string(2, "N") }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            for output in outputs {
                g.message(12) { v in
                    v.string(1, output.name)
                    v.message(2) { t in t.message(1) { tensor in tensor.int(1, output.type) } }
                }
            }
            extra(&g)
        }
        return model.bytes
    }

    /// An INTS attribute, packed or not.
    static func intsAttribute(_ name: String, _ values: [Int64], packed: Bool) -> (inout ProtobufWriter) -> Void {
        { a in
            a.string(1, name)
            a.int(20, 7)
            a.ints(8, values, packed: packed)
        }
    }

    static func floatsAttribute(_ name: String, _ values: [Float], packed: Bool) -> (inout ProtobufWriter) -> Void {
        { a in
            a.string(1, name)
            a.int(20, 6)
            a.floats(7, values, packed: packed)
        }
    }

    static func stringsAttribute(_ name: String, _ values: [String]) -> (inout ProtobufWriter) -> Void {
        { a in
            a.string(1, name)
            a.int(20, 8)
            for value in values { a.string(9, value) }
        }
    }

    static func intAttribute(_ name: String, _ value: Int64) -> (inout ProtobufWriter) -> Void {
        { a in
            a.string(1, name)
            a.int(20, 2)
            a.int(3, value)
        }
    }

    /// A float initializer, with its data in float_data or little-endian raw_data.
    static func floatInitializer(_ name: String, dims: [Int64], values: [Float], raw: Bool) -> (inout ProtobufWriter) -> Void {
        { t in
            t.ints(1, dims, packed: true)
            t.int(2, 1)
            t.string(8, name)
            if raw {
                var data = ProtobufWriter()
                for v in values { data.fixed32(v.bitPattern) }
                t.data(9, data.bytes)
            } else {
                t.floats(4, values, packed: true)
            }
        }
    }
}
