/// Makes a kernel for one node, validating its attributes and input types.
typealias KernelFactory = @Sendable (NodeContext) throws -> LoweredNode

/// The operators the engine can run, by domain and op type.
enum OperatorRegistry {
    static let defaultDomain = ""
    static let mlDomain = "ai.onnx.ml"
    /// ONNX Runtime's contrib domain: only the Tokenizer that scikit-learn text pipelines use.
    static let microsoftDomain = "com.microsoft"

    /// Opset versions the engine accepts for each domain. Operators whose semantics changed
    /// across versions read the node's opset (attribute vs input forms); legacy attributes that
    /// would change meaning (`broadcast`/`axis` on pre-7 arithmetic) are refused as unread.
    /// Versions after 22 of the operators implemented only add element types (float8, int4...),
    /// which are refused by type. Fixtures pin opsets 1 to 28.
    static let supportedOpsets: [String: ClosedRange<Int>] = [
        defaultDomain: 1...28, mlDomain: 1...5, microsoftDomain: 1...1,
    ]

    static func normalize(domain: String) -> String {
        domain == "ai.onnx" ? defaultDomain : domain
    }

    static func factory(domain: String, opType: String) -> KernelFactory? {
        switch normalize(domain: domain) {
        case defaultDomain: standardOperators[opType]
        case mlDomain: mlOperators[opType]
        case microsoftDomain: opType == "Tokenizer" ? Tokenizer.factory : nil
        default: nil
        }
    }

    static let standardOperators: [String: KernelFactory] = merged([
        ElementwiseOperators.all, MatrixOperators.all, ReductionOperators.all, ShapeOperators.all,
        LogicOperators.all, IndexingOperators.all, ConversionOperators.all,
        ElementIndexingOperators.all, QuantizationOperators.all, ControlFlowOperators.all,
        [
            "StringNormalizer": StringNormalizer.factory, "TfIdfVectorizer": TfIdfVectorizer.factory,
            "LayerNormalization": LayerNormalization.factory, "Range": RangeOperator.factory, "OneHot": OneHot.factory,
            "Mod": ModOperator.factory, "CumSum": CumSum.factory, "Einsum": Einsum.factory,
        ],
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

    /// Attributes an operator may carry that do not change inference, so are not read:
    /// `consumed_inputs` (opset < 6, a memory hint), training-only settings, hints ONNX Runtime
    /// itself ignores (tree hit rates, LinearClassifier's multi_class), and float8 saturation
    /// (float8 is refused by type).
    static let ignoredAttributes: [String: Set<String>] = [
        "": ["consumed_inputs"],
        "Dropout": ["seed", "ratio", "is_test"],
        "BatchNormalization": ["momentum", "is_test"],
        "Gemm": ["broadcast"],
        "Cast": ["saturate"], "CastLike": ["saturate"],
        "TopK": ["sorted"],
        "TreeEnsembleClassifier": ["nodes_hitrates", "nodes_hitrates_as_tensor"],
        "TreeEnsembleRegressor": ["nodes_hitrates", "nodes_hitrates_as_tensor"],
        "TreeEnsemble": ["nodes_hitrates"],
        "LinearClassifier": ["multi_class"],
        "SVMRegressor": ["post_transform"],
        "LabelEncoder": ["default_float", "default_int64", "default_string", "default_tensor"],
    ]
}
