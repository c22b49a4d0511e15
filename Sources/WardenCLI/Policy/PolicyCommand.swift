import ArgumentParser
import Foundation
import WardenJSON
import WardenPolicy
import WardenServer
import WardenServing
import Yams

/// `warden policy`: evaluate and check Rego policies as OPA users do.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Evaluate and check Rego policies; sign, publish and verify policy bundles.",
        subcommands: [
            PolicyEvalCommand.self, PolicyCheckCommand.self, PolicyBenchCommand.self, PolicyPushCommand.self, PolicyPullCommand.self,
            PolicyVerifyCommand.self,
        ])
}

/// `warden policy eval`: prints results in `opa eval --format json`'s shape.
struct PolicyEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Evaluate a Rego query (like opa eval --format json).")

    @Option(name: .shortAndLong, parsing: .singleValue, help: "Policy (.rego) or data (.json/.yaml) files or folders; repeatable.")
    var data: [String] = []

    @Option(name: .shortAndLong, help: "Input document (JSON or YAML).")
    var input: String?

    @Option(name: .customLong("inputs"), help: "Evaluate once per line of this JSON-lines file; print one result line each.")
    var inputs: String?

    @Flag(name: .customLong("v0-compatible"), help: "Read policies in Rego v0 syntax (as OPA's flag does).")
    var v0Compatible = false

    @Flag(name: .customLong("strict-builtin-errors"), help: "Builtin errors abort evaluation instead of being undefined.")
    var strictBuiltinErrors = false

    @Argument(help: "The query, e.g. data.serving.startup.permit")
    var query: String

    func run() throws {
        let bundle = try PolicyFiles.load(data)
        do {
            let policy = try Policy(modules: bundle.modules, syntax: v0Compatible ? .v0 : .v1)
            var options = EvaluationOptions()
            options.strictBuiltinErrors = strictBuiltinErrors
            if let inputs {
                // Batch mode (property tests, benchmarks): one compiled policy, many inputs.
                let text = String(decoding: try CLIFile.read(inputs), as: UTF8.self)
                var out = ""
                for line in text.split(separator: "\n") where !line.isEmpty {
                    let document = Value(json: try JSONParser.parse(String(line)))
                    do {
                        let solutions = try policy.evaluate(query: query, input: document, data: bundle.data, options: options)
                        out += PolicyOutput.results(solutions, query: query).serialized() + "\n"
                    } catch {
                        out += PolicyOutput.errors([error]).serialized() + "\n"
                    }
                }
                FileHandle.standardOutput.write(Data(out.utf8))
                return
            }
            let inputValue = try input.map { try PolicyFiles.document(at: $0) }
            let solutions = try policy.evaluate(query: query, input: inputValue, data: bundle.data, options: options)
            print(PolicyOutput.results(solutions, query: query).serialized())
        } catch let error as PolicyError {
            print(PolicyOutput.errors([error]).serialized())
            throw ExitCode(1)
        }
    }
}

/// `warden policy check`: parse and compile; report errors with file, line and column.
struct PolicyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Check that Rego files parse and compile.")

    @Flag(name: .customLong("v0-compatible"), help: "Read policies in Rego v0 syntax.")
    var v0Compatible = false

    @Argument(help: "Rego files or folders.")
    var files: [String]

    func run() throws {
        let bundle = try PolicyFiles.load(files)
        do {
            _ = try Policy(modules: bundle.modules, syntax: v0Compatible ? .v0 : .v1)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// OPA's JSON shapes for results and errors.
enum PolicyOutput {
    static func results(_ solutions: [Solution], query: String) -> JSONValue {
        guard !solutions.isEmpty else { return .object([]) }
        return .object([
            (
                "result",
                .array(
                    solutions.map { solution in
                        var members: [(key: String, value: JSONValue)] = [
                            (
                                "expressions",
                                .array(
                                    solution.expressions.map {
                                        .object([
                                            ("value", $0.json), ("text", .string(query)),
                                            ("location", .object([("row", .integer(1)), ("col", .integer(1))])),
                                        ])
                                    })
                            )
                        ]
                        if !solution.bindings.isEmpty {
                            members.append(
                                ("bindings", .object(solution.bindings.sorted { $0.key < $1.key }.map { ($0.key, $0.value.json) })))
                        }
                        return .object(members)
                    })
            )
        ])
    }

    static func errors(_ errors: [PolicyError]) -> JSONValue {
        .object([
            (
                "errors",
                .array(
                    errors.map { error in
                        var members: [(key: String, value: JSONValue)] = [
                            ("message", .string(error.message)), ("code", .string(error.code.rawValue)),
                        ]
                        if let location = error.location {
                            members.append(
                                (
                                    "location",
                                    .object([
                                        ("file", .string(location.file)), ("row", .integer(Int64(location.line))),
                                        ("col", .integer(Int64(location.column))),
                                    ])
                                ))
                        }
                        return .object(members)
                    })
            )
        ])
    }
}
