import Foundation
import WardenPolicy

/// libFuzzer entry point: policy text from anyone who can write a policy file the server
/// reloads. Lexing, parsing and compiling must end in a value or a `PolicyError`, never a trap
/// or a stack overflow; evaluating every rule must end within its time budget (plus slack
/// for a sanitizer build), whatever the builtins it calls.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRego(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let policy = try? Policy(modules: [("fuzz.rego", text)]) else { return 0 }
    var options = EvaluationOptions()
    options.timeout = .milliseconds(100)
    options.maximumSteps = 100_000
    let input = Value.parse(json: #"{"model": {"name": "churn", "version": "1"}, "client": {"spiffe_id": "spiffe://t/x"}, "n": 3}"#)
    for path in policy.rulePaths {
        let start = ContinuousClock.now
        _ = try? policy.value(of: path, input: input, options: options)
        let elapsed = ContinuousClock.now - start
        precondition(elapsed < .seconds(2), "evaluating \(path.joined(separator: ".")) took \(elapsed), far past its 100 ms budget")
    }
    return 0
}
