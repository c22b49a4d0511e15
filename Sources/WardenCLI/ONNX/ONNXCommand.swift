import ArgumentParser

/// `warden onnx`: look inside a model and run it, without a server.
struct ONNXCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onnx",
        abstract: "Inspect and run ONNX models with Warden's engine.",
        subcommands: [ONNXInspectCommand.self, ONNXRunCommand.self, ONNXBenchCommand.self]
    )
}
