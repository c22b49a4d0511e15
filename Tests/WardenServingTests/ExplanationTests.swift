import Foundation
import Testing
import WardenJSON
import WardenONNX

@testable import WardenServing

/// The contract's `explanations` section, and the churn example (imputation, scaling and
/// one-hot encoding before a logistic regression) explained with the linear attributions.
@Suite struct ExplanationTests {
    /// The training mean of churn's 15 linear columns (make_explanation_fixtures.py prints it).
    static let churnMean: [Double] = [0, 0, 0, 0, 0, 0, 0, 0, 0.5505, 0.2429375, 0.2065625, 0.2963125, 0.3511875, 0.150125, 0.202375]

    static func contract(_ explanations: String) throws -> ExplanationContract {
        try ExplanationContract(json: try JSONParser.parse(explanations))
    }

    @Test func theSectionReadsBothCoverLayoutsAndRefusesMistakes() throws {
        #expect(try Self.contract(#"{"tree_cover": [[10, 6, 4]]}"#).settings.treeCover == .byTree([[10, 6, 4]]))
        #expect(
            try Self.contract(#"{"tree_cover": {"nodes": [10], "leaves": [6, 4]}}"#).settings.treeCover
                == .byIndex(nodes: [10], leaves: [6, 4]))
        #expect(try Self.contract(#"{"redacted_features": ["age"]}"#).redactedFeatures == ["age"])
        #expect(try Self.contract(#"{"table_memory_mb": 8}"#).settings.tableMemoryLimit == 8 << 20)
        #expect(try Self.contract("{}").settings.tableMemoryLimit == ExplanationSettings.defaultTableMemoryLimit)
        for (text, message) in [
            (#"{"table_memory_mb": -1}"#, "integer from 0 to 65536"), (#"{"table_memory_mb": 1.5}"#, "integer from 0 to 65536"),
            (#"{"tree_covers": []}"#, "did you mean \"tree_cover\""), (#"{"tree_cover": [["a"]]}"#, "must be a finite number"),
            (#"{"tree_cover": {"nodes": []}}"#, "tree_cover"), (#"{"background_mean": 3}"#, "must be an array of numbers"),
        ] {
            #expect("\(text)") { try Self.contract(text) } throws: { "\($0)".contains(message) }
        }
    }

    @Test func churnIsExplainedPerOriginalColumnAndTheAttributionsAddUpToItsScore() throws {
        let model = try ServingFixtures.churn()
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: ServingFixtures.churnDirectory + "/model.onnx")))
        let explainer = try ModelExplainer(
            modelBytes: bytes, session: model.session, settings: ExplanationSettings(backgroundMean: Self.churnMean))
        #expect(explainer.method == "linear" && explainer.features == model.contract.inputs.map(\.name))
        let feeds = ServingFixtures.churnFeeds(rows: 3)
        let explanation = try explainer.explain(feeds)
        guard case let .tensor(scores)? = try model.session.run(feeds)[explainer.scoreOutput],
            case let .float(probabilities) = scores.storage
        else {
            Issue.record("no scores")
            return
        }
        for row in 0..<3 {
            for target in 0..<explanation.targets {
                let margin = (0..<explanation.features).reduce(explanation.baseValues[target]) {
                    $0 + explanation.attribution(row: row, target: target, feature: $1)
                }
                // LOGISTIC: each class's probability is the sigmoid of its margin.
                #expect(abs(1 / (1 + exp(-margin)) - Double(probabilities[row * 2 + target])) < 1e-5)
            }
        }
        #expect { try ModelExplainer(modelBytes: bytes, session: model.session, settings: ExplanationSettings()) } throws: {
            "\($0)".contains("background_mean")
        }
    }
}
