import Foundation
import WardenJSON
import WardenSchema

/// The JSON Schema documents a contract's `input_schema` and `output_schema` may `$ref`:
/// files of the artifact, listed in `schema_files` by their path in it. They sit beside
/// `warden-model.json`, so the signature and the pin cover them like the weights; nothing is
/// ever fetched. Each is registered under `artifact:///PATH` (so a relative `$ref` from the
/// contract, whose schemas sit at `artifact:///warden-model.json`, finds it) and its `$id`.
public struct ContractSchemaFiles: Sendable, Equatable {
    /// The URI the contract's own schemas are registered under.
    package static let contractURI = "artifact:///" + ModelContract.fileName
    package static let maximumFiles = 64
    /// A contract that lists none.
    public static let none = ContractSchemaFiles()

    private init() { paths = [] }

    /// The paths as listed, and each document once read (empty until `load(from:)`).
    public private(set) var paths: [String]
    public private(set) var documents: [String: JSONValue] = [:]

    init(paths: [String], at key: String) throws {
        guard paths.count <= Self.maximumFiles else { throw ContractError("\(key): at most \(Self.maximumFiles) files") }
        for (index, path) in paths.enumerated() {
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            guard !path.hasPrefix("/"), path.hasSuffix(".json"), parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }),
                parts.first != ".warden", path != ModelContract.fileName
            else {
                throw ContractError("\(key)[\(index)]: '\(path)' must be a .json file's path inside the artifact (no '..', not absolute)")
            }
        }
        guard Set(paths).count == paths.count else { throw ContractError("\(key): a file is listed twice") }
        self.paths = paths
    }

    /// Reads every listed file from the artifact `directory`: each must be a regular file
    /// (not a link that could leave the artifact) holding JSON.
    mutating func load(from directory: String) throws {
        for path in paths {
            let full = directory + "/" + path
            let attributes = try? FileManager.default.attributesOfItem(atPath: full)
            guard attributes?[.type] as? FileAttributeType == .typeRegular else {
                throw ContractError("schema_files: \(path) is not a regular file in the artifact")
            }
            guard let data = try boundedContents(full, limit: ModelContract.maximumBytes) else {
                throw ContractError("schema_files: \(path) is missing from the artifact")
            }
            do {
                documents[path] = try JSONParser.parse(data)
            } catch {
                throw ContractError("schema_files: \(path) is not JSON: \(error)")
            }
        }
    }

    /// A registry holding every file, for one of the contract's schemas.
    package func registry() throws -> SchemaRegistry {
        let registry = SchemaRegistry()
        for path in paths {
            guard let document = documents[path] else { throw ContractError("schema_files: \(path) was not read from the artifact") }
            try registry.add(document, uri: "artifact:///" + path)
        }
        return registry
    }
}
