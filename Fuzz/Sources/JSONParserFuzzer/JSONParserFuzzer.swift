import WardenJSON

/// libFuzzer entry point: every request body goes through `JSONParser` first. Any input must
/// parse or fail with a `SyntaxError`; what parses must serialise and parse back to the same
/// value (so the writer and the parser agree on escapes, numbers and nesting).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var limits = JSONParser.Limits()
    limits.maxDepth = 32
    guard let value = try? JSONParser.parse(UnsafeBufferPointer(start: data, count: size), limits: limits) else { return 0 }
    let text = value.serialized()
    guard let again = try? JSONParser.parse(text, limits: limits) else {
        fatalError("serialised JSON does not parse back")
    }
    // NaN cannot appear (JSON has none), so equality is exact.
    precondition(again == value, "round trip changed the value")
    return 0
}
