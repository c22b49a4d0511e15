import Testing

@testable import WardenONNX

/// TreeSHAP against its definition: on random forests (features reused along a path, missing
/// values routed both ways, rows exactly at thresholds, two targets), the attributions equal
/// the Shapley values of the path-dependent value function (the paper's Algorithm 1, every
/// feature subset enumerated), and base value + attributions equal the engine's own score.
@Suite struct TreeShapTests {
    /// One random tree: nodes in id order, children sums of covers equal their parent's.
    struct RandomTree {
        var feature: [Int] = []
        var threshold: [Float] = []
        var missingTrue: [Bool] = []
        var trueChild: [Int] = []
        var falseChild: [Int] = []
        var cover: [Double] = []
        var leafValue: [[Double]] = []  // per node, per target (empty for a branch)
        var isLeaf: [Bool] = []

        init(features: Int, targets: Int, depth: Int, rng: inout SplitMix) {
            _ = grow(depth: depth, cover: Double(rng.next(in: 100...1000)), features: features, targets: targets, rng: &rng)
        }

        private mutating func grow(depth: Int, cover: Double, features: Int, targets: Int, rng: inout SplitMix) -> Int {
            let id = feature.count
            feature.append(0)
            threshold.append(0)
            missingTrue.append(false)
            trueChild.append(0)
            falseChild.append(0)
            self.cover.append(cover)
            leafValue.append([])
            isLeaf.append(false)
            if depth == 0 || rng.next(in: 0...9) == 0 {
                isLeaf[id] = true
                // Float, as the ONNX weights are: the brute force then sums the same leaf values.
                leafValue[id] = (0..<targets).map { _ in Double(Float(Double(rng.next(in: -100...100)) / 10)) }
                return id
            }
            feature[id] = rng.next(in: 0...(features - 1))
            threshold[id] = Float(rng.next(in: 0...4))
            missingTrue[id] = rng.next(in: 0...1) == 1
            let share = Double(rng.next(in: 5...95)) / 100
            trueChild[id] = grow(depth: depth - 1, cover: cover * share, features: features, targets: targets, rng: &rng)
            falseChild[id] = grow(depth: depth - 1, cover: cover * (1 - share), features: features, targets: targets, rng: &rng)
            return id
        }

        func goesTrue(_ node: Int, _ x: [Float]) -> Bool {
            let value = x[feature[node]]
            return value <= threshold[node] || (missingTrue[node] && value.isNaN)
        }

        /// Algorithm 1: E[f(x) | x_S] under the covers.
        func expectation(_ x: [Float], known: Set<Int>, target: Int, node: Int = 0) -> Double {
            if isLeaf[node] { return leafValue[node][target] }
            if known.contains(feature[node]) {
                return expectation(x, known: known, target: target, node: goesTrue(node, x) ? trueChild[node] : falseChild[node])
            }
            let t = trueChild[node]
            let f = falseChild[node]
            return
                (cover[t] * expectation(x, known: known, target: target, node: t)
                + cover[f] * expectation(x, known: known, target: target, node: f)) / cover[node]
        }
    }

    static let features = 5
    static let targets = 2

    /// The forest as an ONNX TreeEnsembleRegressor reading Concat(A [N, 2], B [N, 3]), or,
    /// with `mixing`, a Softmax of it (every column then depends on every input).
    static func model(_ trees: [RandomTree], mixing: Bool = false) -> [UInt8] {
        var treeIDs: [Int64] = []
        var nodeIDs: [Int64] = []
        var featureIDs: [Int64] = []
        var modes: [String] = []
        var values: [Float] = []
        var trueIDs: [Int64] = []
        var falseIDs: [Int64] = []
        var missing: [Int64] = []
        var weightTrees: [Int64] = []
        var weightNodes: [Int64] = []
        var weightTargets: [Int64] = []
        var weights: [Float] = []
        for (t, tree) in trees.enumerated() {
            for node in tree.feature.indices {
                treeIDs.append(Int64(t))
                nodeIDs.append(Int64(node))
                featureIDs.append(Int64(tree.feature[node]))
                modes.append(tree.isLeaf[node] ? "LEAF" : "BRANCH_LEQ")
                values.append(tree.threshold[node])
                trueIDs.append(Int64(tree.trueChild[node]))
                falseIDs.append(Int64(tree.falseChild[node]))
                missing.append(tree.missingTrue[node] ? 1 : 0)
                if tree.isLeaf[node] {
                    for (target, value) in tree.leafValue[node].enumerated() {
                        weightTrees.append(Int64(t))
                        weightNodes.append(Int64(node))
                        weightTargets.append(Int64(target))
                        weights.append(Float(value))
                    }
                }
            }
        }
        var builder = ONNXModelBuilder()
        builder.opsets = [("", 17), ("ai.onnx.ml", 3)]
        builder.inputs = [("A", 1, [nil, 2]), ("B", 1, [nil, 3])]
        builder.outputs = [("Y", 1)]
        let modeAttribute: (inout ProtobufWriter) -> Void = { a in
            a.string(1, "nodes_modes")
            a.int(20, 8)
            for mode in modes { a.string(9, mode) }
        }
        let axis: (inout ProtobufWriter) -> Void = ONNXModelBuilder.intAttribute("axis", 1)
        builder.nodes = [
            .init(op: "Concat", inputs: ["A", "B"], outputs: [mixing ? "C" : "X"], attributes: [axis])
        ]
        if mixing { builder.nodes.append(.init(op: "Softmax", inputs: ["C"], outputs: ["X"])) }
        builder.nodes += [
            .init(
                op: "TreeEnsembleRegressor", domain: "ai.onnx.ml", inputs: ["X"], outputs: ["Y"],
                attributes: [
                    ONNXModelBuilder.intsAttribute("nodes_treeids", treeIDs, packed: true),
                    ONNXModelBuilder.intsAttribute("nodes_nodeids", nodeIDs, packed: true),
                    ONNXModelBuilder.intsAttribute("nodes_featureids", featureIDs, packed: true), modeAttribute,
                    ONNXModelBuilder.floatsAttribute("nodes_values", values, packed: true),
                    ONNXModelBuilder.intsAttribute("nodes_truenodeids", trueIDs, packed: true),
                    ONNXModelBuilder.intsAttribute("nodes_falsenodeids", falseIDs, packed: true),
                    ONNXModelBuilder.intsAttribute("nodes_missing_value_tracks_true", missing, packed: true),
                    ONNXModelBuilder.intsAttribute("target_treeids", weightTrees, packed: true),
                    ONNXModelBuilder.intsAttribute("target_nodeids", weightNodes, packed: true),
                    ONNXModelBuilder.intsAttribute("target_ids", weightTargets, packed: true),
                    ONNXModelBuilder.floatsAttribute("target_weights", weights, packed: true),
                    ONNXModelBuilder.intAttribute("n_targets", Int64(targets)),
                ])
        ]
        return builder.build()
    }

    /// Shapley values of the path-dependent value function, every subset enumerated.
    static func bruteForce(_ trees: [RandomTree], _ x: [Float], target: Int) -> [Double] {
        let m = features
        var factorial = [1.0]
        for k in 1...m { factorial.append(factorial[k - 1] * Double(k)) }
        var phi = [Double](repeating: 0, count: m)
        for i in 0..<m {
            for mask in 0..<(1 << m) where mask & (1 << i) == 0 {
                let known = Set((0..<m).filter { mask & (1 << $0) != 0 })
                let weight = factorial[known.count] * factorial[m - known.count - 1] / factorial[m]
                for tree in trees {
                    phi[i] +=
                        weight
                        * (tree.expectation(x, known: known.union([i]), target: target) - tree.expectation(x, known: known, target: target))
                }
            }
        }
        return phi
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func attributionsAreTheShapleyValuesAndSumToTheScore(seed: UInt64) throws {
        var rng = SplitMix(state: seed)
        let trees = (0..<3).map { _ in RandomTree(features: Self.features, targets: Self.targets, depth: 5, rng: &rng) }
        let bytes = Self.model(trees)
        let session = try InferenceSession(modelBytes: bytes)
        let explainer = try ModelExplainer(
            modelBytes: bytes, session: session,
            settings: ExplanationSettings(treeCover: .byTree(trees.map(\.cover))))
        #expect(explainer.features == ["A[0]", "A[1]", "B[0]", "B[1]", "B[2]"] && explainer.targets == ["target_0", "target_1"])
        // Rows on the thresholds' grid (so some sit exactly on one), some values missing.
        var rows: [[Float]] = []
        for _ in 0..<12 {
            rows.append((0..<Self.features).map { _ in rng.next(in: 0...9) == 0 ? .nan : Float(rng.next(in: -1...5)) })
        }
        let a = rows.flatMap { $0[0..<2] }
        let b = rows.flatMap { $0[2..<5] }
        let feeds: [String: Value] = ["A": .tensor(.float(a, shape: [rows.count, 2])), "B": .tensor(.float(b, shape: [rows.count, 3]))]
        let explanation = try explainer.explain(feeds)
        guard case let .tensor(scores)? = try session.run(feeds)["Y"], case let .float(y) = scores.storage else {
            Issue.record("no scores")
            return
        }
        for (r, row) in rows.enumerated() {
            for target in 0..<Self.targets {
                let expected = Self.bruteForce(trees, row, target: target)
                var sum = explanation.baseValues[target]
                for feature in 0..<Self.features {
                    let got = explanation.attribution(row: r, target: target, feature: feature)
                    #expect(abs(got - expected[feature]) < 1e-9, "seed \(seed) row \(r) target \(target) feature \(feature)")
                    sum += got
                }
                #expect(abs(sum - Double(y[r * Self.targets + target])) < 1e-4, "seed \(seed) row \(r) target \(target)")
            }
        }
    }

    /// Fast TreeSHAP v2's tables and Algorithm 2 are the same sums regrouped: with no memory
    /// for tables, with room for one tree of four, and with the default, every row gets the
    /// brute-force Shapley values (deeper trees here: features recur along most paths).
    @Test(arguments: [0, 6_000, ExplanationSettings.defaultTableMemoryLimit])
    func theSubsetTablesAndAlgorithm2AgreeAtAnyMemoryLimit(limit: Int) throws {
        var rng = SplitMix(state: 21)
        let trees = (0..<4).map { _ in RandomTree(features: Self.features, targets: Self.targets, depth: 7, rng: &rng) }
        let bytes = Self.model(trees)
        let session = try InferenceSession(modelBytes: bytes)
        let explainer = try ModelExplainer(
            modelBytes: bytes, session: session,
            settings: ExplanationSettings(treeCover: .byTree(trees.map(\.cover)), tableMemoryLimit: limit))
        let tabled = limit == 0 ? 0 : limit == 6_000 ? 1 : 4
        #expect(explainer.method.contains("tables for \(tabled) of 4 trees"), "\(explainer.method)")
        var rows: [[Float]] = []
        for _ in 0..<8 { rows.append((0..<Self.features).map { _ in rng.next(in: 0...9) == 0 ? .nan : Float(rng.next(in: -1...5)) }) }
        let feeds: [String: Value] = [
            "A": .tensor(.float(rows.flatMap { $0[0..<2] }, shape: [rows.count, 2])),
            "B": .tensor(.float(rows.flatMap { $0[2..<5] }, shape: [rows.count, 3])),
        ]
        let explanation = try explainer.explain(feeds)
        for (r, row) in rows.enumerated() {
            for target in 0..<Self.targets {
                let expected = Self.bruteForce(trees, row, target: target)
                for feature in 0..<Self.features {
                    #expect(
                        abs(explanation.attribution(row: r, target: target, feature: feature) - expected[feature]) < 1e-9,
                        "limit \(limit) row \(r) target \(target) feature \(feature)")
                }
            }
        }
    }

    /// The same forest as an ml-opset-5 `TreeEnsemble` (split nodes and leaves numbered apart,
    /// in tree order), with its covers in the `{nodes, leaves}` layout.
    static func modelV5(_ trees: [RandomTree]) -> (bytes: [UInt8], cover: ExplanationSettings.TreeCover) {
        var roots: [Int64] = []
        var features: [Int64] = []
        var splits: [Float] = []
        var modes: [UInt8] = []
        var trueIDs: [Int64] = []
        var falseIDs: [Int64] = []
        var trueLeafs: [Int64] = []
        var falseLeafs: [Int64] = []
        var missing: [Int64] = []
        var leafTargets: [Int64] = []
        var leafWeights: [Float] = []
        var nodeCover: [Double] = []
        var leafCover: [Double] = []
        for tree in trees {
            // Each tree's nodes get their index among splits or among leaves, in id order.
            var index: [Int] = []
            var splitCount = features.count
            var leafCount = leafTargets.count
            for node in tree.feature.indices {
                if tree.isLeaf[node] {
                    index.append(leafCount)
                    leafCount += 1
                } else {
                    index.append(splitCount)
                    splitCount += 1
                }
            }
            roots.append(Int64(index[0]))
            for node in tree.feature.indices {
                if tree.isLeaf[node] {
                    // One target per leaf in v5: the test's trees weigh target 0 here.
                    leafTargets.append(0)
                    leafWeights.append(Float(tree.leafValue[node][0]))
                    leafCover.append(tree.cover[node])
                    continue
                }
                features.append(Int64(tree.feature[node]))
                splits.append(tree.threshold[node])
                modes.append(0)  // BRANCH_LEQ
                trueIDs.append(Int64(index[tree.trueChild[node]]))
                falseIDs.append(Int64(index[tree.falseChild[node]]))
                trueLeafs.append(tree.isLeaf[tree.trueChild[node]] ? 1 : 0)
                falseLeafs.append(tree.isLeaf[tree.falseChild[node]] ? 1 : 0)
                missing.append(tree.missingTrue[node] ? 1 : 0)
                nodeCover.append(tree.cover[node])
            }
        }
        func tensor(_ name: String, type: Int64, count: Int, raw: [UInt8]) -> (inout ProtobufWriter) -> Void {
            { a in
                a.string(1, name)
                a.int(20, 4)
                a.message(5) { t in
                    t.ints(1, [Int64(count)], packed: true)
                    t.int(2, type)
                    t.data(9, raw)
                }
            }
        }
        func floatBytes(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }
        var builder = ONNXModelBuilder()
        builder.opsets = [("", 17), ("ai.onnx.ml", 5)]
        builder.inputs = [("A", 1, [nil, 2]), ("B", 1, [nil, 3])]
        builder.outputs = [("Y", 1)]
        builder.nodes = [
            .init(op: "Concat", inputs: ["A", "B"], outputs: ["X"], attributes: [ONNXModelBuilder.intAttribute("axis", 1)]),
            .init(
                op: "TreeEnsemble", domain: "ai.onnx.ml", inputs: ["X"], outputs: ["Y"],
                attributes: [
                    ONNXModelBuilder.intAttribute("n_targets", 1), ONNXModelBuilder.intsAttribute("tree_roots", roots, packed: true),
                    ONNXModelBuilder.intsAttribute("nodes_featureids", features, packed: true),
                    ONNXModelBuilder.intsAttribute("nodes_truenodeids", trueIDs, packed: true),
                    ONNXModelBuilder.intsAttribute("nodes_falsenodeids", falseIDs, packed: true),
                    ONNXModelBuilder.intsAttribute("nodes_trueleafs", trueLeafs, packed: true),
                    ONNXModelBuilder.intsAttribute("nodes_falseleafs", falseLeafs, packed: true),
                    ONNXModelBuilder.intsAttribute("nodes_missing_value_tracks_true", missing, packed: true),
                    tensor("nodes_modes", type: 2, count: modes.count, raw: modes),
                    tensor("nodes_splits", type: 1, count: splits.count, raw: floatBytes(splits)),
                    ONNXModelBuilder.intsAttribute("leaf_targetids", leafTargets, packed: true),
                    tensor("leaf_weights", type: 1, count: leafWeights.count, raw: floatBytes(leafWeights)),
                ]),
        ]
        return (builder.build(), .byIndex(nodes: nodeCover, leaves: leafCover))
    }

    @Test(arguments: [11, 12, 13, 14])
    func theOpset5LayoutIsExplainedByItsNodeAndLeafIndices(seed: UInt64) throws {
        var rng = SplitMix(state: seed)
        var trees: [RandomTree] = []
        while trees.count < 3 {
            let tree = RandomTree(features: Self.features, targets: 1, depth: 4, rng: &rng)
            if !tree.isLeaf[0] { trees.append(tree) }
        }
        let (bytes, cover) = Self.modelV5(trees)
        let session = try InferenceSession(modelBytes: bytes)
        let explainer = try ModelExplainer(modelBytes: bytes, session: session, settings: ExplanationSettings(treeCover: cover))
        var rows: [[Float]] = []
        for _ in 0..<10 { rows.append((0..<Self.features).map { _ in rng.next(in: 0...9) == 0 ? .nan : Float(rng.next(in: -1...5)) }) }
        let feeds: [String: Value] = [
            "A": .tensor(.float(rows.flatMap { $0[0..<2] }, shape: [rows.count, 2])),
            "B": .tensor(.float(rows.flatMap { $0[2..<5] }, shape: [rows.count, 3])),
        ]
        let explanation = try explainer.explain(feeds)
        guard case let .tensor(scores)? = try session.run(feeds)["Y"], case let .float(y) = scores.storage else {
            Issue.record("no scores")
            return
        }
        for (r, row) in rows.enumerated() {
            let expected = Self.bruteForce(trees, row, target: 0)
            var sum = explanation.baseValues[0]
            for feature in 0..<Self.features {
                #expect(
                    abs(explanation.attribution(row: r, target: 0, feature: feature) - expected[feature]) < 1e-9, "seed \(seed) row \(r)")
                sum += explanation.attribution(row: r, target: 0, feature: feature)
            }
            #expect(abs(sum - Double(y[r])) < 1e-4, "seed \(seed) row \(r)")
        }
    }

    @Test func aModelWithoutCoversOrThroughAMixingOperatorIsNotExplainable() throws {
        var rng = SplitMix(state: 9)
        let trees = [RandomTree(features: Self.features, targets: Self.targets, depth: 3, rng: &rng)]
        let bytes = Self.model(trees)
        let session = try InferenceSession(modelBytes: bytes)
        #expect { try ModelExplainer(modelBytes: bytes, session: session, settings: ExplanationSettings()) } throws: {
            "\($0)".contains("explanations.tree_cover")
        }
        let mixed = Self.model(trees, mixing: true)
        #expect {
            try ModelExplainer(
                modelBytes: mixed, session: try InferenceSession(modelBytes: mixed),
                settings: ExplanationSettings(treeCover: .byTree(trees.map(\.cover))))
        } throws: {
            "\($0)".contains("cannot attribute through Softmax")
        }
        var short = trees.map(\.cover)
        short[0].removeLast()
        #expect {
            try ModelExplainer(modelBytes: bytes, session: session, settings: ExplanationSettings(treeCover: .byTree(short)))
        } throws: {
            "\($0)".contains("no positive cover")
        }
    }
}
