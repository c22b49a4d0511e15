import WardenONNX
import WardenServing

/// What both protocols check of a request tensor before reading its elements: the model has an
/// input of that name, the datatype can feed it, and the shape fits it and is not too big. The
/// client's text is never echoed: an unknown name is answered with the model's own names.
struct RequestTensorHeader {
    let name: String
    let datatype: Datatype
    /// The engine type the model's input computes with.
    let target: ElementType
    let shape: [Int]
    /// Elements the shape holds.
    let count: Int

    /// The largest number of elements one request tensor may hold.
    static let maxElements = 1 << 24

    /// `shape` is read only after the name and datatype pass, so the first problem is the one named.
    init(name: String, datatype rawType: String?, shape readShape: () throws -> [Int64]?, contract: ModelContract) throws {
        guard let spec = contract.requestInputs.first(where: { $0.name == name }), let target = spec.datatype.elementType else {
            throw ServingFailure.badRequest(
                .unknownInput,
                "the request names an input the model does not have (inputs: \(contract.requestInputs.map(\.name).joined(separator: ", ")))"
            )
        }
        guard let rawType, let datatype = Datatype(rawValue: rawType) else {
            throw ServingFailure.badRequest(
                .invalidDatatype,
                "input '\(name)': \"datatype\" must be one of \(Datatype.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard TensorDecoding.canFeed(datatype, into: target) else {
            throw ServingFailure.badRequest(
                .datatypeMismatch, "input '\(name)' has datatype \(datatype.rawValue), the model expects \(spec.datatype.rawValue)")
        }
        guard let dims = try readShape() else {
            throw ServingFailure.badRequest(.invalidShape, "input '\(name)': \"shape\" must be an array of integers")
        }
        let shape = try dims.map { dim -> Int in
            guard dim >= 0, dim <= Int64(Self.maxElements) else {
                throw ServingFailure.badRequest(
                    .invalidShape, "input '\(name)': shape dimensions must be integers in 0...\(Self.maxElements)")
            }
            return Int(dim)
        }
        guard spec.accepts(shape) else {
            throw ServingFailure.badRequest(
                .shapeMismatch, "input '\(name)' has shape \(shape), the model expects \(spec.shape) (-1: any size)")
        }
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= Self.maxElements else {
                throw ServingFailure.badRequest(.tooManyElements, "input '\(name)' has more than \(Self.maxElements) elements")
            }
            count = product
        }
        self.name = name
        self.datatype = datatype
        self.target = target
        self.shape = shape
        self.count = count
    }
}
