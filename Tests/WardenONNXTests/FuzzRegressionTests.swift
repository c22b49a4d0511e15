import Foundation
import Testing
import WardenONNX

/// Inputs the fuzzer once crashed on (docs/fuzzing.md): each must now load and run, or be
/// refused with an error — never trap.
@Suite struct FuzzRegressionTests {
    static var findings: [String] {
        let directory = Fixtures.directory.appendingPathComponent("fuzz")
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    @Test(arguments: findings)
    func findingIsHandled(_ file: String) throws {
        let bytes = Array(try Data(contentsOf: Fixtures.directory.appendingPathComponent("fuzz/\(file)")))
        guard let session = try? InferenceSession(modelBytes: bytes) else { return }
        _ = try? session.run(session.syntheticFeeds(batch: 2, maxDimension: 64))
    }
}
