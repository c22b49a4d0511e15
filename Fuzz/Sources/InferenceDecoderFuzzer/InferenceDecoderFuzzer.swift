import Foundation
import WardenServer

/// libFuzzer entry point: inference bodies, the server's most exposed input. The example churn
/// model (ten columns of three datatypes, a contract with bounds, nulls and patterns) is loaded
/// once; each input is tried as an OIP v2 JSON body, a KServe v1 body, and, split by its first
/// byte, as a JSON header followed by Triton binary data.
let model: FuzzEntryPoints.DecodingModel = {
    let directory = ProcessInfo.processInfo.environment["WARDEN_FUZZ_MODEL"] ?? "examples/churn"
    do {
        return try FuzzEntryPoints.DecodingModel(directory: directory)
    } catch {
        fatalError("cannot load the fuzzing model from \(directory) (run from the repository root): \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInferenceDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    FuzzEntryPoints.decode(bytes, jsonLength: nil, model: model)
    if let first = bytes.first {
        let body = Array(bytes.dropFirst())
        FuzzEntryPoints.decode(body, jsonLength: min(Int(first) * 8, body.count), model: model)
    }
    return 0
}
