import Foundation
import GRPCCore
import Testing
import WardenGRPCProtocol
import WardenONNX

@testable import WardenServer
@testable import WardenServing

/// The gRPC codec against the churn contract: typed contents and raw contents decode to the
/// same tensors, and every malformed request is the catalogue's refusal.
@Suite struct GRPCTensorCodecTests {
    let contract = try! ServedModel.load(directory: TestServer.churnDirectory).contract

    /// A one-row churn request, every input in typed contents or in raw contents.
    func request(raw: Bool, tenure: Int64 = 12) -> Inference_ModelInferRequest {
        var request = Inference_ModelInferRequest()
        request.modelName = "churn"
        let floats = ["monthly_charges": Float(70.5), "total_charges": 846, "data_usage_gb": 12.5, "days_since_login": 3, "age": 41]
        let integers = ["tenure": tenure, "support_calls": 1, "num_services": 4]
        let strings = ["contract": "Month-to-month", "payment": "Credit card"]
        for spec in contract.requestInputs {
            var tensor = Inference_ModelInferRequest.InferInputTensor()
            tensor.name = spec.name
            tensor.datatype = spec.datatype.rawValue
            tensor.shape = [1, 1]
            var bytes: [UInt8] = []
            if let value = floats[spec.name] {
                tensor.contents.fp32Contents = [value]
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
            } else if let value = integers[spec.name] {
                tensor.contents.int64Contents = [value]
                withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
            } else if let value = strings[spec.name] {
                tensor.contents.bytesContents = [Data(value.utf8)]
                withUnsafeBytes(of: UInt32(value.utf8.count).littleEndian) { bytes += $0 }
                bytes += Array(value.utf8)
            }
            if raw {
                tensor.clearContents()
                request.rawInputContents.append(Data(bytes))
            }
            request.inputs.append(tensor)
        }
        return request
    }

    func code(_ body: () throws -> Void) -> ServingFailure.Code? {
        do {
            try body()
            return nil
        } catch let failure as ServingFailure {
            return failure.code
        } catch {
            return .internalError
        }
    }

    @Test func typedAndRawContentsDecodeToTheSameTensors() throws {
        let typed = try GRPCInferRequest(request(raw: false), contract: contract)
        let raw = try GRPCInferRequest(request(raw: true), contract: contract)
        #expect(typed.feeds.count == contract.requestInputs.count)
        for (name, value) in typed.feeds {
            #expect("\(value)" == "\(raw.feeds[name]!)", "\(name)")
        }
        #expect(typed.outputs == nil && typed.rawOutputs && typed.timeout == nil)
    }

    @Test func malformedRequestsAreRefusedWithTheirCodes() {
        var mixed = request(raw: true)
        mixed.inputs[0].contents.int64Contents = [1]
        #expect(code { _ = try GRPCInferRequest(mixed, contract: contract) } == .invalidRequest)
        var short = request(raw: true)
        short.rawInputContents.removeLast()
        #expect(code { _ = try GRPCInferRequest(short, contract: contract) } == .binarySizeMismatch)
        var wrongField = request(raw: false)
        wrongField.inputs[0].contents = Inference_InferTensorContents()
        wrongField.inputs[0].contents.fp32Contents = [1]
        #expect(code { _ = try GRPCInferRequest(wrongField, contract: contract) } == .elementCountMismatch)
        var empty = request(raw: false)
        empty.inputs[0].clearContents()
        #expect(code { _ = try GRPCInferRequest(empty, contract: contract) } == .missingData)
        var missing = request(raw: false)
        missing.inputs.removeLast()
        #expect(code { _ = try GRPCInferRequest(missing, contract: contract) } == .missingInput)
        var twice = request(raw: false)
        twice.inputs.append(twice.inputs[0])
        #expect(code { _ = try GRPCInferRequest(twice, contract: contract) } == .duplicateInput)
        var unknown = request(raw: false)
        unknown.inputs[0].name = "tenur"
        #expect(code { _ = try GRPCInferRequest(unknown, contract: contract) } == .unknownInput)
        var badOutput = request(raw: false)
        var output = Inference_ModelInferRequest.InferRequestedOutputTensor()
        output.name = "labels"
        badOutput.outputs = [output]
        #expect(code { _ = try GRPCInferRequest(badOutput, contract: contract) } == .unknownOutput)
        var badTimeout = request(raw: false)
        var parameter = Inference_InferParameter()
        parameter.stringParam = "soon"
        badTimeout.parameters["timeout"] = parameter
        #expect(code { _ = try GRPCInferRequest(badTimeout, contract: contract) } == .invalidTimeout)
    }

    @Test func narrowIntegerContentsAreRangeChecked() throws {
        let spec = contract.requestInputs.first { $0.name == "tenure" }!
        var contents = Inference_InferTensorContents()
        contents.intContents = [127, -128]
        let header = try RequestTensorHeader(name: spec.name, datatype: "INT8", shape: { [2, 1] }, contract: contract)
        #expect(try GRPCInferRequest.rawBytes(of: contents, header) == [0x7F, 0x80])
        contents.intContents = [128, 0]
        #expect(code { _ = try GRPCInferRequest.rawBytes(of: contents, header) } == .invalidData)
    }

    @Test func timeoutsAndOutputChoices() throws {
        var asked = request(raw: true)
        var timeout = Inference_InferParameter()
        timeout.uint64Param = 2500
        asked.parameters["timeout"] = timeout
        var typedOutputs = Inference_InferParameter()
        typedOutputs.boolParam = false
        asked.parameters["binary_data_output"] = typedOutputs
        var output = Inference_ModelInferRequest.InferRequestedOutputTensor()
        output.name = "probabilities"
        asked.outputs = [output]
        let decoded = try GRPCInferRequest(asked, contract: contract)
        #expect(decoded.timeout == .microseconds(2500) && decoded.outputs == ["probabilities"] && !decoded.rawOutputs)
    }

    @Test func grpcTimeoutHeaderIsReadOrRefused() throws {
        #expect(try GRPCTimeout.read(["grpc-timeout": .string("250m")]) == .milliseconds(250))
        #expect(try GRPCTimeout.read(["grpc-timeout": .string("3S")]) == .seconds(3))
        #expect(try GRPCTimeout.read([:]) == nil)
        for bad in ["", "5", "123456789S", "10x", "-5S", "0m"] {
            #expect(throws: ServingFailure.self, "\(bad)") { try GRPCTimeout.read(["grpc-timeout": .string(bad)]) }
        }
    }

    @Test func everyFailureCodeMapsToItsGRPCStatus() {
        for code in ServingFailure.Code.allCases {
            let error = ServingFailure(code, "message").rpcError
            #expect(error.code.rawValue == code.grpcStatus.rawValue, "\(code)")
            #expect(error.message == "\(code.rawValue): message")
        }
        var shed = ServingFailure(.overloaded, "the server is overloaded")
        shed.retryAfterSeconds = 1
        #expect(shed.rpcError.metadata[stringValues: "grpc-retry-pushback-ms"].first(where: { _ in true }) == "1000")
    }
}
