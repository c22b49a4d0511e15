import Foundation
import WardenJSON
import WardenPolicy
import Yams

/// Reads policy and data files the way `opa eval --data` does: `.rego` files are modules;
/// `.json`/`.yaml` files are data, mounted at their folder's path below a `--data` folder.
public enum PolicyFiles {
    public struct Bundle: Sendable {
        public var modules: [(name: String, text: String)] = []
        public var data: Value = .object([])
    }

    public static func load(_ paths: [String]) throws -> Bundle {
        var bundle = Bundle()
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw PolicyFileError("\(path) does not exist")
            }
            if isDirectory.boolValue {
                let entries = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
                for entry in entries {
                    try add(path + "/" + entry, mount: Array(entry.split(separator: "/").dropLast().map(String.init)), to: &bundle)
                }
            } else {
                try add(path, mount: [], to: &bundle)
            }
        }
        return bundle
    }

    private static func add(_ path: String, mount: [String], to bundle: inout Bundle) throws {
        guard path.hasSuffix(".rego") || isData(path) else { return }
        try add(path, bytes: try read(path), mount: mount, to: &bundle)
    }

    /// The same for files already in memory (a signed bundle's), named by their paths inside
    /// the bundle: a data document mounts at its folder's path, as under a `--data` folder.
    public static func bundle(files: [(path: String, bytes: [UInt8])]) throws -> Bundle {
        var bundle = Bundle()
        for file in files.sorted(by: { $0.path < $1.path }) {
            try add(file.path, bytes: file.bytes, mount: Array(file.path.split(separator: "/").dropLast().map(String.init)), to: &bundle)
        }
        return bundle
    }

    private static func add(_ path: String, bytes: [UInt8], mount: [String], to bundle: inout Bundle) throws {
        if path.hasSuffix(".rego") {
            bundle.modules.append((path, String(decoding: bytes, as: UTF8.self)))
        } else if isData(path) {
            var document = try self.document(bytes)
            for key in mount.reversed() { document = .object([(key: .string(key), value: document)]) }
            bundle.data = merge(bundle.data, document)
        }
    }

    private static func isData(_ path: String) -> Bool { path.hasSuffix(".json") || path.hasSuffix(".yaml") || path.hasSuffix(".yml") }

    /// A JSON or YAML document.
    public static func document(at path: String) throws -> Value { try document(try read(path)) }

    static func document(_ bytes: [UInt8]) throws -> Value {
        if let json = try? JSONParser.parse(bytes) { return Value(json: json) }
        guard let yaml = try Yams.load(yaml: String(decoding: bytes, as: UTF8.self)) else { return .null }
        return try value(yaml)
    }

    package static func value(_ any: Any) throws -> Value {
        switch any {
        case is NSNull: return .null
        case let b as Bool: return .bool(b)
        case let i as Int: return .integer(Int64(i))
        case let d as Double:
            // YAML reads 1e400 as infinity: a number Rego cannot hold is an error, not a new value.
            guard d.isFinite else { throw PolicyFileError("number \(d) is out of range") }
            return .double(d)
        case let s as String: return .string(s)
        case let list as [Any]: return .array(try list.map(value))
        case let map as [String: Any]: return .makeObject(try map.map { (key: Value.string($0.key), value: try value($0.value)) })
        case let date as Date: return .string(ISO8601DateFormatter().string(from: date))
        default: throw PolicyFileError("unsupported YAML value \(any)")
        }
    }

    package static func merge(_ a: Value, _ b: Value) -> Value {
        guard case let .object(left) = a, case let .object(right) = b else { return b }
        var members = Dictionary(left.map { ($0.key, $0.value) }, uniquingKeysWith: { x, _ in x })
        for (key, value) in right { members[key] = members[key].map { merge($0, value) } ?? value }
        return .makeObject(members.map { (key: $0.key, value: $0.value) })
    }
}

extension PolicyFiles {
    package static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw PolicyFileError("cannot read \(path)") }
        return Array(data)
    }
}

/// A policy or data file that cannot be read.
public struct PolicyFileError: Error, CustomStringConvertible, Sendable {
    public let description: String
    package init(_ description: String) { self.description = description }
}
