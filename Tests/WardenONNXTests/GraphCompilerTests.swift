import Testing

@testable import WardenONNX

/// Load-time checking: structure, operator support and types are refused at load, with the
/// whole list of problems, never at the first request.
@Suite struct GraphCompilerTests {
    static func load(_ builder: ONNXModelBuilder) throws -> InferenceSession {
        try InferenceSession(modelBytes: builder.build())
    }

    static func identityChain() -> ONNXModelBuilder {
        var builder = ONNXModelBuilder()
        builder.inputs = [("X", 1, [nil, 2])]
        builder.outputs = [("Y", 1)]
        return builder
    }

    @Test func cycleIsRefused() {
        var builder = Self.identityChain()
        builder.nodes = [
            .init(op: "Add", inputs: ["X", "b"], outputs: ["a"]),
            .init(op: "Identity", inputs: ["a"], outputs: ["b"]),
            .init(op: "Identity", inputs: ["b"], outputs: ["Y"]),
        ]
        #expect {
            try Self.load(builder)
        } throws: { error in
            guard case let ModelLoadError.invalidGraph(reason)? = error as? ModelLoadError else { return false }
            return reason.contains("cycle")
        }
    }

    @Test func nodesOutOfOrderAreSorted() throws {
        var builder = Self.identityChain()
        builder.nodes = [
            .init(op: "Identity", inputs: ["a"], outputs: ["Y"]),
            .init(op: "Neg", inputs: ["X"], outputs: ["a"]),
        ]
        let out = try Self.load(builder).run(["X": .tensor(.float([1, -2], shape: [1, 2]))])
        #expect(out["Y"] == .tensor(.float([-1, 2], shape: [1, 2])))
    }

    @Test func unknownOperatorsAreAllListedAtLoad() {
        var builder = Self.identityChain()
        builder.opsets = [("", 17), ("ai.onnx.ml", 3)]
        builder.nodes = [
            .init(op: "FooBar", inputs: ["X"], outputs: ["a"]),
            .init(op: "Frobnicate", domain: "ai.onnx.ml", inputs: ["a"], outputs: ["b"]),
            .init(op: "Custom", domain: "com.example", inputs: ["b"], outputs: ["Y"]),
        ]
        #expect {
            try Self.load(builder)
        } throws: { error in
            guard case let ModelLoadError.unsupported(items)? = error as? ModelLoadError else { return false }
            return items.count == 3 && items[0].contains("FooBar") && items[1].contains("ai.onnx.ml:Frobnicate")
                && items[2].contains("com.example")
        }
    }

    @Test func unsupportedAttributeValueIsRefusedAtLoad() {
        var builder = Self.identityChain()
        builder.nodes = [.init(op: "Cast", inputs: ["X"], outputs: ["Y"], attributes: [ONNXModelBuilder.intAttribute("to", 16)])]
        #expect {
            try Self.load(builder)
        } throws: { error in
            guard case let ModelLoadError.unsupported(items)? = error as? ModelLoadError else { return false }
            return items.count == 1 && items[0].contains("Cast to BFLOAT16")
        }
    }

    @Test func undefinedInputIsRefused() {
        var builder = Self.identityChain()
        builder.nodes = [.init(op: "Add", inputs: ["X", "nowhere"], outputs: ["Y"])]
        #expect(throws: ModelLoadError.invalidGraph("Add node producing 'Y' reads 'nowhere', which nothing defines")) {
            try Self.load(builder)
        }
    }

    @Test func duplicateOutputIsRefused() {
        var builder = Self.identityChain()
        builder.nodes = [
            .init(op: "Identity", inputs: ["X"], outputs: ["Y"]),
            .init(op: "Neg", inputs: ["X"], outputs: ["Y"]),
        ]
        #expect(throws: ModelLoadError.self) { try Self.load(builder) }
    }

    @Test func wrongTypesAreRefusedAtLoad() {
        var builder = Self.identityChain()
        builder.inputs.append(("S", 8, [nil, 2]))
        builder.nodes = [.init(op: "Add", inputs: ["X", "S"], outputs: ["Y"])]
        #expect {
            try Self.load(builder)
        } throws: { error in
            guard case let ModelLoadError.unsupported(items)? = error as? ModelLoadError else { return false }
            return items.count == 1 && items[0].contains("input 1 is tensor(string)")
        }
    }

    @Test func missingGraphOutputIsRefused() {
        var builder = Self.identityChain()
        builder.nodes = [.init(op: "Identity", inputs: ["X"], outputs: ["Z"])]
        #expect(throws: ModelLoadError.invalidGraph("graph output 'Y' is never produced")) { try Self.load(builder) }
    }

    @Test func unsupportedOpsetIsRefused() {
        var builder = Self.identityChain()
        builder.opsets = [("", 99)]
        builder.nodes = [.init(op: "Identity", inputs: ["X"], outputs: ["Y"])]
        #expect(throws: ModelLoadError.unsupported(["opset 99 of domain 'ai.onnx' (supported: 1...28)"])) {
            try Self.load(builder)
        }
    }

    @Test func modelWithOnlyTheMLDomainLoads() throws {
        // XGBoost exports import ai.onnx.ml alone.
        let session = try Fixtures.session("xgboost_binary")
        #expect(session.model.opsets[""] == nil)
        #expect(session.model.opsets["ai.onnx.ml"] == 1)
    }

    @Test func constantSubgraphsAreFoldedAtLoad() throws {
        var builder = Self.identityChain()
        builder.initializers = [
            ONNXModelBuilder.floatInitializer("A", dims: [2], values: [1, 2], raw: false),
            ONNXModelBuilder.floatInitializer("B", dims: [2], values: [10, 20], raw: true),
        ]
        builder.nodes = [
            .init(op: "Mul", inputs: ["A", "B"], outputs: ["AB"]),
            .init(op: "Add", inputs: ["X", "AB"], outputs: ["Y"]),
        ]
        let session = try Self.load(builder)
        let out = try session.run(["X": .tensor(.float([1, 1], shape: [1, 2]))])
        #expect(out["Y"] == .tensor(.float([11, 41], shape: [1, 2])))
    }

    /// Malformed models made by scripts/fixtures/make_operator_fixtures.py with onnx.helper
    /// (no checker): each is refused at load with its own error.
    @Test(arguments: [
        ("bad_cyclic", "model_invalid_graph"), ("bad_duplicate_output", "model_invalid_graph"),
        ("bad_external_data", "model_external_data"), ("bad_huge_dims", "model_invalid_tensor"),
        ("bad_undefined_input", "model_invalid_graph"), ("bad_unknown_op", "model_unsupported"),
        ("bad_wrong_type", "model_unsupported"),
    ])
    func malformedModelIsRefused(_ name: String, _ code: String) throws {
        #expect {
            try Fixtures.session("ops/\(name)")
        } throws: { error in
            (error as? ModelLoadError)?.code == code
        }
    }

    @Test func unknownOperatorsAreListedTogether() throws {
        do {
            _ = try Fixtures.session("ops/bad_unknown_op")
            Issue.record("bad_unknown_op loaded")
        } catch let ModelLoadError.unsupported(items) {
            #expect(items.count == 3, "\(items)")
        }
    }

    @Test func unknownAttributeIsRefused() {
        var builder = Self.identityChain()
        builder.nodes = [.init(op: "Relu", inputs: ["X"], outputs: ["Y"], attributes: [ONNXModelBuilder.intAttribute("frobnicate", 1)])]
        #expect(throws: ModelLoadError.unsupported(["Relu node producing 'Y': attribute frobnicate not supported"])) {
            try Self.load(builder)
        }
    }

    /// Shapes are checked at load where the model declares them: an operator that needs a
    /// different number of features than its input declares is refused before any request.
    @Test func featureCountMismatchesAreRefusedAtLoad() {
        func classifier(inputWidth: Int64, throughCast: Bool) -> ONNXModelBuilder {
            var builder = ONNXModelBuilder()
            builder.opsets = [("", 17), ("ai.onnx.ml", 1)]
            builder.inputs = [("X", 1, [nil, inputWidth])]
            builder.outputs = [("label", 7), ("scores", 1)]
            let linear = ONNXModelBuilder.Node(
                op: "LinearClassifier", domain: "ai.onnx.ml", inputs: [throughCast ? "Xc" : "X"], outputs: ["label", "scores"],
                attributes: [
                    ONNXModelBuilder.floatsAttribute("coefficients", [1, 2, 3, -1, -2, -3], packed: true),
                    ONNXModelBuilder.floatsAttribute("intercepts", [0, 0], packed: true),
                    ONNXModelBuilder.intsAttribute("classlabels_ints", [0, 1], packed: true),
                ])
            builder.nodes =
                throughCast
                ? [.init(op: "Cast", inputs: ["X"], outputs: ["Xc"], attributes: [ONNXModelBuilder.intAttribute("to", 1)]), linear]
                : [linear]
            return builder
        }
        #expect(throws: Never.self) { try Self.load(classifier(inputWidth: 3, throughCast: false)) }
        for throughCast in [false, true] {
            #expect {
                try Self.load(classifier(inputWidth: 4, throughCast: throughCast))
            } throws: { error in
                guard case let ModelLoadError.unsupported(items)? = error as? ModelLoadError else { return false }
                return items.count == 1 && items[0].contains("expects 3 features, but the input declares 4")
            }
        }
    }

    @Test func gemmInnerDimensionIsCheckedAtLoad() {
        var builder = Self.identityChain()
        builder.inputs = [("X", 1, [nil, 4])]
        builder.initializers = [ONNXModelBuilder.floatInitializer("W", dims: [3, 2], values: [1, 2, 3, 4, 5, 6], raw: false)]
        builder.nodes = [.init(op: "Gemm", inputs: ["X", "W"], outputs: ["Y"])]
        #expect {
            try Self.load(builder)
        } throws: { error in
            "\(error)".contains("Gemm's B expects 3 features, but the input declares 4")
        }
    }

    @Test func treesReadingPastTheDeclaredFeaturesAreRefusedAtLoad() throws {
        func forest(inputWidth: Int64) -> ONNXModelBuilder {
            var builder = ONNXModelBuilder()
            builder.opsets = [("", 17), ("ai.onnx.ml", 3)]
            builder.inputs = [("X", 1, [nil, inputWidth])]
            builder.outputs = [("Y", 1)]
            let modes: (inout ProtobufWriter) -> Void = { a in
                a.string(1, "nodes_modes")
                a.int(20, 8)
                for mode in ["BRANCH_LEQ", "LEAF", "LEAF"] { a.string(9, mode) }
            }
            builder.nodes = [
                .init(
                    op: "TreeEnsembleRegressor", domain: "ai.onnx.ml", inputs: ["X"], outputs: ["Y"],
                    attributes: [
                        ONNXModelBuilder.intsAttribute("nodes_treeids", [0, 0, 0], packed: false),
                        ONNXModelBuilder.intsAttribute("nodes_nodeids", [0, 1, 2], packed: false),
                        ONNXModelBuilder.intsAttribute("nodes_featureids", [5, 0, 0], packed: false),
                        modes,
                        ONNXModelBuilder.floatsAttribute("nodes_values", [0.5, 0, 0], packed: false),
                        ONNXModelBuilder.intsAttribute("nodes_truenodeids", [1, 0, 0], packed: false),
                        ONNXModelBuilder.intsAttribute("nodes_falsenodeids", [2, 0, 0], packed: false),
                        ONNXModelBuilder.intsAttribute("target_treeids", [0, 0], packed: false),
                        ONNXModelBuilder.intsAttribute("target_nodeids", [1, 2], packed: false),
                        ONNXModelBuilder.intsAttribute("target_ids", [0, 0], packed: false),
                        ONNXModelBuilder.floatsAttribute("target_weights", [1, 2], packed: false),
                        ONNXModelBuilder.intAttribute("n_targets", 1),
                    ])
            ]
            return builder
        }
        let session = try Self.load(forest(inputWidth: 6))
        let out = try session.run(["X": .tensor(.float([0, 0, 0, 0, 0, 0.25, 0, 0, 0, 0, 0, 0.75], shape: [2, 6]))])
        #expect(out["Y"] == .tensor(.float([1, 2], shape: [2, 1])))
        #expect {
            try Self.load(forest(inputWidth: 5))
        } throws: { error in
            "\(error)".contains("the trees read feature 5, but the input declares 5 features")
        }
    }
}
