/// Typed, checked access to a node's attributes. A missing required attribute or one of the
/// wrong type is a load-time error that names the node and the attribute. It records which
/// attributes the operator read, so the compiler can refuse any it did not: an attribute the
/// engine does not understand must not be silently ignored.
final class NodeAttributes {
    let node: String
    private let byName: [String: AttributeProto]
    private(set) var read = Set<String>()

    init(node: String, attributes: [AttributeProto]) throws {
        self.node = node
        var byName: [String: AttributeProto] = [:]
        for attribute in attributes {
            guard byName[attribute.name] == nil else {
                throw ModelLoadError.invalidGraph("\(node) has attribute '\(attribute.name)' twice")
            }
            guard attribute.refAttrName.isEmpty else {
                throw ModelLoadError.invalidGraph(
                    "\(node): attribute '\(attribute.name)' refers to a function attribute outside a function")
            }
            byName[attribute.name] = attribute
        }
        self.byName = byName
    }

    func has(_ name: String) -> Bool {
        read.insert(name)
        return byName[name] != nil
    }

    /// Attributes present but never read by the operator.
    var unread: Set<String> { Set(byName.keys).subtracting(read) }

    private func get(_ name: String, _ kind: AttributeProto.Kind) throws -> AttributeProto? {
        read.insert(name)
        guard let attribute = byName[name] else { return nil }
        // Old exporters leave `type` unset; accept that when the value field is the only one set.
        guard attribute.kind == kind || attribute.kind == .undefined else {
            throw ModelLoadError.typeMismatch("\(node): attribute '\(name)' is \(attribute.kind), expected \(kind)")
        }
        return attribute
    }

    func int(_ name: String) throws -> Int64? { try get(name, .int)?.i }
    func int(_ name: String, default value: Int64) throws -> Int64 { try int(name) ?? value }
    func float(_ name: String) throws -> Float? { try get(name, .float)?.f }
    func float(_ name: String, default value: Float) throws -> Float { try float(name) ?? value }
    func ints(_ name: String) throws -> [Int64]? { try get(name, .ints)?.ints }
    func floats(_ name: String) throws -> [Float]? { try get(name, .floats)?.floats }
    func tensor(_ name: String) throws -> Tensor? { try get(name, .tensor)?.t?.tensor }
    func graph(_ name: String) throws -> GraphProto? { try get(name, .graph)?.g }

    func string(_ name: String) throws -> String? {
        guard let raw = try get(name, .string)?.s else { return nil }
        return try utf8(raw, name)
    }

    func string(_ name: String, default value: String) throws -> String { try string(name) ?? value }

    func strings(_ name: String) throws -> [String]? {
        guard let raw = try get(name, .strings)?.strings else { return nil }
        return try raw.map { try utf8($0, name) }
    }

    func required<T>(_ value: T?, _ name: String) throws -> T {
        guard let value else { throw ModelLoadError.invalidGraph("\(node) is missing required attribute '\(name)'") }
        return value
    }

    private func utf8(_ bytes: [UInt8], _ name: String) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ModelLoadError.invalidGraph("\(node): attribute '\(name)' is not valid UTF-8")
        }
        return text
    }
}
