import WardenJSON

/// A tensor in the model contract: name, OIP datatype and shape (-1 for a variable dimension).
public struct TensorSpec: Sendable, Equatable {
    public let name: String
    public let datatype: Datatype
    public let shape: [Int]

    public init(name: String, datatype: Datatype, shape: [Int]) {
        self.name = name
        self.datatype = datatype
        self.shape = shape
    }

    /// The keys of a tensor in the contract.
    public static let keys = ["name", "datatype", "shape"]

    package init(json: JSONValue, at path: String) throws {
        let fields = try ContractFields(json, at: path, keys: Self.keys)
        guard let name = try fields.string("name"), !name.isEmpty else { throw fields.error("name", "must be a non-empty string") }
        guard let raw = try fields.string("datatype"), let datatype = Datatype(rawValue: raw) else {
            throw fields.error("datatype", "must be one of \(Datatype.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard case let .array(dims)? = fields["shape"] else {
            throw fields.error("shape", "must be an array of integers (-1 for a variable dimension)")
        }
        self.name = name
        self.datatype = datatype
        self.shape = try dims.map {
            guard case let .integer(d) = $0, d >= -1, d <= Int64(Int32.max) else {
                throw fields.error("shape", "dimensions must be integers >= -1")
            }
            return Int(d)
        }
    }

    package var json: JSONValue {
        .object([
            ("name", .string(name)), ("datatype", .string(datatype.rawValue)),
            ("shape", .array(shape.map { .integer(Int64($0)) })),
        ])
    }

    /// True when `shape` fits this spec (same rank, fixed dimensions equal).
    package func accepts(_ shape: [Int]) -> Bool {
        shape.count == self.shape.count && zip(shape, self.shape).allSatisfy { $1 == -1 || $0 == $1 }
    }
}

/// A model contract that cannot be used, with a message that says what to fix.
public struct ContractError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    package init(_ description: String) { self.description = description }
}
