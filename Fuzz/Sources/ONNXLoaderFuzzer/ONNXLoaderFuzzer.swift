import WardenONNX

/// libFuzzer entry point: decode and compile arbitrary bytes as an ONNX model and, when that
/// succeeds, run it once on inputs shaped from its declaration. Errors are expected; crashes,
/// sanitizer reports and hangs are the bugs this looks for.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNXLoader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var limits = DecodingLimits()
    limits.maxTensorElements = 1 << 20  // keeps each run fast; the limit logic is what is under test
    guard let session = try? InferenceSession(modelBytes: bytes, limits: limits) else { return 0 }
    _ = try? session.run(session.syntheticFeeds(batch: 2, maxDimension: 64))
    return 0
}
