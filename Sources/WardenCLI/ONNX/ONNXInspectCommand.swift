import ArgumentParser
import Foundation
import WardenJSON
import WardenONNX

/// `warden onnx inspect MODEL.onnx`: opsets, inputs and outputs, operators, and anything the
/// engine cannot run. Exits 1 when the model cannot be run.
struct ONNXInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Describe an ONNX model and check that Warden can run it.")

    @Argument(help: "Path to the .onnx file.")
    var model: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let report = try ModelReport(modelBytes: try CLIFile.read(model))
        print(json ? Self.json(report).serialized() : Self.text(report))
        if !report.problems.isEmpty { throw ExitCode(1) }
    }

    static func shape(_ dims: [ShapeDimension]?) -> String {
        dims.map { "[" + $0.map(\.description).joined(separator: ", ") + "]" } ?? "(any shape)"
    }

    static func text(_ report: ModelReport) -> String {
        var lines = [
            "ir_version: \(report.irVersion)",
            "producer:   \(report.producer.isEmpty ? "(none)" : report.producer)",
            "graph:      \(report.graphName)",
            "opsets:     " + report.opsets.map { "\($0.domain) \($0.version)" }.joined(separator: ", "),
            "inputs:",
        ]
        lines += report.inputs.map { "  \($0.name): \($0.type) \(shape($0.shape))" }
        lines.append("outputs:")
        lines += report.outputs.map { "  \($0.name): \($0.type) \(shape($0.shape))" }
        lines.append("operators (\(report.operators.reduce(0) { $0 + $1.count }) nodes, \(report.initializerCount) initializers):")
        lines += report.operators.map { "  \($0.name) ×\($0.count)" }
        if !report.initializerTypes.isEmpty {
            lines.append("initializer types: " + report.initializerTypes.joined(separator: ", "))
        }
        if !report.warnings.isEmpty {
            lines.append("warnings:")
            lines += report.warnings.map { "  - \($0)" }
        }
        if report.problems.isEmpty {
            lines.append("status: supported — Warden can run this model")
        } else {
            lines.append("status: NOT supported (\(report.problems.count) problems):")
            lines += report.problems.map { "  - \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ report: ModelReport) -> JSONValue {
        func port(_ p: ModelReport.Port) -> JSONValue {
            .object([
                ("name", .string(p.name)), ("type", .string(p.type)),
                (
                    "shape",
                    p.shape.map {
                        .array(
                            $0.map { d in
                                if case let .fixed(n) = d {
                                    .integer(Int64(n))
                                } else if case let .symbolic(s) = d {
                                    .string(s)
                                } else {
                                    .null
                                }
                            })
                    } ?? .null
                ),
            ])
        }
        return .object([
            ("ir_version", .integer(report.irVersion)),
            ("producer", .string(report.producer)),
            ("opsets", .object(report.opsets.map { ($0.domain, .integer($0.version)) })),
            ("inputs", .array(report.inputs.map(port))),
            ("outputs", .array(report.outputs.map(port))),
            ("operators", .object(report.operators.map { ($0.name, .integer(Int64($0.count))) })),
            ("initializer_types", .array(report.initializerTypes.map(JSONValue.string))),
            ("supported", .bool(report.problems.isEmpty)),
            ("problems", .array(report.problems.map(JSONValue.string))),
            ("warnings", .array(report.warnings.map(JSONValue.string))),
        ])
    }
}
