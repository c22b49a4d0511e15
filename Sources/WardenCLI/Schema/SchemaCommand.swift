import ArgumentParser
import Foundation
import WardenJSON
import WardenSchema

/// `warden schema`: JSON Schema tools (drafts 2020-12, 2019-09 and 7, chosen by `$schema`).
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema", abstract: "JSON Schema tools (draft 2020-12, 2019-09 or 7, as $schema says).",
        subcommands: [SchemaValidateCommand.self, SchemaBenchCommand.self])
}

/// `warden schema validate`: exit 0 valid, 1 invalid (errors as JSON), 2 unusable schema.
struct SchemaValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Validate JSON instances against a schema (exit 0 valid, 1 invalid, 2 bad schema).")

    @Option(name: .long, help: "The JSON Schema (its $schema picks draft 2020-12, 2019-09 or 7).")
    var schema: String

    @Option(
        name: .customLong("default-dialect"),
        help: "The draft of schemas without $schema: 2020-12 (the default), 2019-09 or draft-07 (or its meta-schema URI).")
    var defaultDialect = "2020-12"

    @Flag(name: .customLong("assert-formats"), help: "Treat format as an assertion (date-time, email, ipv4, …).")
    var assertFormats = false

    @Option(name: .customLong("instances"), help: "Validate every line of this JSON-lines file; print one result line each.")
    var instances: String?

    @Option(
        name: .customLong("ref"),
        help: "A schema document that $ref may name: registered under its $id, and under its file URI (repeatable).")
    var references: [String] = []

    @Option(
        name: .customLong("ref-base"),
        help:
            "URI=DIR: every .json file under DIR is registered as URI + its path in DIR, e.g. http://localhost:1234/=remotes (repeatable).")
    var referenceBases: [String] = []

    @Argument(help: "The instance (JSON file).")
    var instance: String?

    func run() throws {
        let registry: SchemaRegistry
        do {
            guard let draft = Dialect.Draft(name: defaultDialect) else {
                throw SchemaReferences.Problem(description: "--default-dialect \(defaultDialect): expected 2020-12, 2019-09 or draft-07")
            }
            registry = try SchemaReferences(files: references, bases: referenceBases).registry(defaultDraft: draft)
        } catch {
            FileHandle.standardError.write(Data("warden: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let validator: Validator
        do {
            var compiled = try Validator(
                schema: try JSONParser.parse(try CLIFile.read(schema)), uri: URL(fileURLWithPath: schema).absoluteString,
                registry: registry)
            compiled.assertFormats = assertFormats
            validator = compiled
        } catch {
            FileHandle.standardError.write(Data("warden: bad schema \(schema): \(error)\n".utf8))
            throw ExitCode(2)
        }
        if let instances {
            var out = ""
            var allValid = true
            for line in String(decoding: try CLIFile.read(instances), as: UTF8.self).split(separator: "\n") where !line.isEmpty {
                let errors = try checked { try validator.validate(try JSONParser.parse(String(line))) }
                allValid = allValid && errors.isEmpty
                out += Self.report(errors).serialized() + "\n"
            }
            FileHandle.standardOutput.write(Data(out.utf8))
            if !allValid { throw ExitCode(1) }
            return
        }
        guard let instance else { throw ValidationError("give an instance file or --instances") }
        let errors = try checked { try validator.validate(try JSONParser.parse(try CLIFile.read(instance))) }
        print(Self.report(errors).serialized())
        if !errors.isEmpty { throw ExitCode(1) }
    }

    /// A reference the validation reached and could not resolve makes the schema unusable
    /// (exit 2), like a schema that does not compile; references are bound as they are first
    /// reached, so a library of documents may hold references no schema here uses.
    private func checked<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SchemaError {
            FileHandle.standardError.write(Data("warden: bad schema \(schema): \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// Locations and keywords only: instance values never appear in the report.
    static func report(_ errors: [WardenSchema.ValidationError]) -> JSONValue {
        .object([
            ("valid", .bool(errors.isEmpty)),
            (
                "errors",
                .array(
                    errors.map {
                        .object([
                            ("instanceLocation", .string($0.instanceLocation)), ("keyword", .string($0.keyword)),
                            ("keywordLocation", .string($0.schemaLocation)), ("error", .string($0.message)),
                        ])
                    })
            ),
        ])
    }
}
