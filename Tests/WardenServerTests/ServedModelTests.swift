import Foundation
import Testing

@testable import WardenServer
@testable import WardenServing

@Suite struct ServedModelTests {
    @Test func bareModelGetsADerivedContractNamedAfterItsDirectory() throws {
        let directory = try TestServer.bareModelDirectory(fixture: "random_forest")
        let model = try ServedModel.load(directory: directory)
        #expect(model.name == URL(fileURLWithPath: directory).lastPathComponent)
        #expect(model.contract.inputs == [TensorSpec(name: "X", datatype: .fp32, shape: [-1, 8])])
    }

    @Test func oversizedContractIsRefusedWithoutBeingRead() throws {
        let directory = try TestServer.bareModelDirectory(fixture: "random_forest")
        let contract = URL(fileURLWithPath: directory).appendingPathComponent(ModelContract.fileName)
        try Data(repeating: 0x20, count: ModelContract.maximumBytes + 1).write(to: contract)
        #expect {
            try ServedModel.load(directory: directory)
        } throws: { error in
            "\(error)".contains("over the limit of \(ModelContract.maximumBytes)")
        }
    }

    @Test func contractThatDoesNotMatchTheGraphIsRefused() throws {
        let directory = try TestServer.bareModelDirectory(fixture: "random_forest")
        let contract = URL(fileURLWithPath: directory).appendingPathComponent(ModelContract.fileName)
        try Data(
            #"{"name": "forest", "inputs": [{"name": "X", "datatype": "FP64", "shape": [-1, 8]}], "outputs": [{"name": "label", "datatype": "INT64", "shape": [-1]}]}"#
                .utf8
        )
        .write(to: contract)
        #expect {
            try ServedModel.load(directory: directory)
        } throws: { error in
            "\(error)".contains("inputs[0].datatype: input 'X' is tensor(float) in the model, not FP64")
        }
    }
}
