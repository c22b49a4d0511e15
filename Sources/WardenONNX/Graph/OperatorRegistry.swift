/// Makes a kernel for one node, validating its attributes and input types.
typealias KernelFactory = @Sendable (NodeContext) throws -> LoweredNode

/// The operators the engine can run, by domain and op type.
enum OperatorRegistry {
    static let defaultDomain = ""
    static let mlDomain = "ai.onnx.ml"

    /// Opset versions the engine accepts for each domain. Operator versions after 22 that the
    /// engine implements only add element types (float8, int4...) which it refuses by type, so
    /// their semantics for the types it runs are unchanged; fixtures pin opsets 9 to 28.
    static let supportedOpsets: [String: ClosedRange<Int>] = [defaultDomain: 7...28, mlDomain: 1...5]

    static func normalize(domain: String) -> String {
        domain == "ai.onnx" ? defaultDomain : domain
    }

    static func factory(domain: String, opType: String) -> KernelFactory? {
        switch normalize(domain: domain) {
        case defaultDomain: standardOperators[opType]
        case mlDomain: mlOperators[opType]
        default: nil
        }
    }

    static let standardOperators: [String: KernelFactory] = merged([
        ElementwiseOperators.all, MatrixOperators.all, ReductionOperators.all, ShapeOperators.all,
        LogicOperators.all, IndexingOperators.all, ConversionOperators.all,
    ])

    static let mlOperators: [String: KernelFactory] = merged([
        TreeEnsembleOperators.all, LinearModelOperators.all, SVMOperators.all, PreprocessingOperators.all,
        MapOperators.all,
    ])

    private static func merged(_ tables: [[String: KernelFactory]]) -> [String: KernelFactory] {
        tables.reduce(into: [:]) { result, table in
            result.merge(table) { first, _ in first }
        }
    }

    /// Every supported "domain:OpType", for `warden onnx inspect` and the docs.
    static var supportedOperatorNames: [String] {
        standardOperators.keys.map { $0 }.sorted() + mlOperators.keys.map { "ai.onnx.ml:\($0)" }.sorted()
    }
}
