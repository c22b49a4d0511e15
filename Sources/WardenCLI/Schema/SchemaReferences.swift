import Foundation
import WardenJSON
import WardenSchema

/// The documents a schema's `$ref`s may name, from the command line: never fetched, only read
/// from the files given. `--ref FILE` registers a document under its file URI (and its `$id`,
/// which the registry indexes); `--ref-base URI=DIR` registers every `.json` file under DIR as
/// URI followed by its path in DIR, so a test suite's `http://localhost:1234/…` remotes, or a
/// contract split into files under its published base, resolve offline.
struct SchemaReferences {
    let files: [String]
    let bases: [String]

    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    func registry(defaultDraft: Dialect.Draft) throws -> SchemaRegistry {
        let registry = SchemaRegistry(defaultDraft: defaultDraft)
        for file in files {
            try add(file, uri: URL(fileURLWithPath: file).standardizedFileURL.absoluteString, to: registry)
        }
        for base in bases {
            guard let equals = base.firstIndex(of: "="), equals != base.startIndex else {
                throw Problem(description: "--ref-base \(base): expected URI=DIR")
            }
            let prefix = String(base[..<equals])
            let folder = URL(fileURLWithPath: String(base[base.index(after: equals)...])).standardizedFileURL
            guard prefix.hasSuffix("/"), URL(string: prefix)?.scheme != nil else {
                throw Problem(description: "--ref-base \(base): the URI must be absolute and end with /")
            }
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
                throw Problem(description: "--ref-base \(base): \(folder.path) is not a folder")
            }
            let paths = (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? [])
                .filter { $0.hasSuffix(".json") }.sorted()
            for path in paths {
                try add(folder.appendingPathComponent(path).path, uri: prefix + path, to: registry)
            }
        }
        return registry
    }

    private func add(_ file: String, uri: String, to registry: SchemaRegistry) throws {
        let document: JSONValue
        do {
            document = try JSONParser.parse(try CLIFile.read(file))
        } catch {
            throw Problem(description: "referenced schema \(file): \(error)")
        }
        do {
            try registry.add(document, uri: uri)
        } catch {
            throw Problem(description: "referenced schema \(file): \(error)")
        }
    }
}
