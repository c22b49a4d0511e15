import Foundation

/// Where the bundled example model lives: `examples/churn` in the source tree, found from the
/// binary's location (.build/<config>/warden) or the working directory.
enum ExampleModel {
    static func directory() -> String {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        var parent = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(parent)
            parent = parent.deletingLastPathComponent()
        }
        for base in candidates {
            let path = base.appendingPathComponent("examples/churn").path
            if FileManager.default.fileExists(atPath: path + "/model.onnx") { return path }
        }
        return "examples/churn"
    }
}
