import Foundation
import Yams

/// Everything `warden serve` needs, from a YAML file (`--config`) or from flags.
public struct ServeConfiguration: Sendable {
    /// One model to serve: an artifact directory, with optional name and version overrides.
    public struct ModelSource: Sendable, Equatable {
        public var directory: String
        public var name: String?
        public var version: String?

        public init(directory: String, name: String? = nil, version: String? = nil) {
            self.directory = directory
            self.name = name
            self.version = version
        }
    }

    public var host = "127.0.0.1"
    public var port = 8080
    /// Plain-HTTP port for the kubelet's liveness and readiness probes.
    public var probePort = 8081
    public var limits = ServingLimits()
    public var models: [ModelSource] = []
    /// Time between readiness turning false and the listeners closing, for load balancers to notice.
    public var drainDelay: Duration = .zero
    /// Longest a graceful shutdown may take before in-flight work is cancelled.
    public var drainTimeout: Duration = .seconds(25)
    public var logLevel = "info"

    public init() {}

    /// Reads a YAML configuration. Unknown keys are errors: a misspelt limit must not be ignored.
    public init(yaml text: String) throws {
        guard let root = try Yams.load(yaml: text) as? [String: Any] else {
            throw ConfigurationError("the configuration must be a YAML mapping")
        }
        var reader = StrictMapping(root, path: "")
        if var listen = try reader.mapping("listen") {
            host = try listen.string("host") ?? host
            port = try listen.port("port") ?? port
            probePort = try listen.port("probe_port") ?? probePort
            try listen.finish()
        }
        if var limitsMap = try reader.mapping("limits") {
            limits.maxBodyBytes = try limitsMap.positiveInt("max_body_bytes") ?? limits.maxBodyBytes
            limits.json.maxDepth = try limitsMap.positiveInt("max_json_depth") ?? limits.json.maxDepth
            limits.json.maxStringBytes = try limitsMap.positiveInt("max_string_bytes") ?? limits.json.maxStringBytes
            limits.requireContentType = try limitsMap.bool("require_content_type") ?? limits.requireContentType
            try limitsMap.finish()
        }
        if var shutdown = try reader.mapping("shutdown") {
            drainDelay = try shutdown.seconds("drain_delay_seconds") ?? drainDelay
            drainTimeout = try shutdown.seconds("drain_timeout_seconds") ?? drainTimeout
            try shutdown.finish()
        }
        if var logging = try reader.mapping("logging") {
            logLevel = try logging.string("level") ?? logLevel
            try logging.finish()
        }
        models = try reader.mappings("models").map { entry in
            var model = entry
            let source = ModelSource(
                directory: try model.string("directory") ?? { throw ConfigurationError("\(model.path): \"directory\" is required") }(),
                name: try model.string("name"), version: try model.versionString("version"))
            try model.finish()
            return source
        }
        try reader.finish()
        guard !models.isEmpty else { throw ConfigurationError("\"models\" must list at least one model") }
    }

    public init(contentsOfFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("cannot read \(path)")
        }
        try self.init(yaml: text)
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Reads keys from a YAML mapping, checking types, and refuses keys nobody read.
struct StrictMapping {
    private var values: [String: Any]
    private var read = Set<String>()
    let path: String

    init(_ values: [String: Any], path: String) {
        self.values = values
        self.path = path
    }

    private func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private mutating func take(_ key: String) -> Any? {
        read.insert(key)
        return values[key]
    }

    mutating func string(_ key: String) throws -> String? {
        guard let value = take(key) else { return nil }
        guard let text = value as? String else { throw ConfigurationError("\(name(key)) must be a string") }
        return text
    }

    /// Versions are often written as bare numbers (`version: 2`).
    mutating func versionString(_ key: String) throws -> String? {
        guard let value = take(key) else { return nil }
        if let text = value as? String { return text }
        if let number = value as? Int { return String(number) }
        throw ConfigurationError("\(name(key)) must be a string or an integer")
    }

    mutating func bool(_ key: String) throws -> Bool? {
        guard let value = take(key) else { return nil }
        guard let flag = value as? Bool else { throw ConfigurationError("\(name(key)) must be true or false") }
        return flag
    }

    mutating func positiveInt(_ key: String) throws -> Int? {
        guard let value = take(key) else { return nil }
        guard let number = value as? Int, number > 0 else { throw ConfigurationError("\(name(key)) must be a positive integer") }
        return number
    }

    mutating func port(_ key: String) throws -> Int? {
        guard let value = take(key) else { return nil }
        guard let number = value as? Int, (0...65535).contains(number) else {
            throw ConfigurationError("\(name(key)) must be a port number")
        }
        return number
    }

    mutating func seconds(_ key: String) throws -> Duration? {
        guard let value = take(key) else { return nil }
        if let number = value as? Int, number >= 0 { return .seconds(number) }
        if let number = value as? Double, number >= 0 { return .milliseconds(Int64(number * 1000)) }
        throw ConfigurationError("\(name(key)) must be a non-negative number of seconds")
    }

    mutating func mapping(_ key: String) throws -> StrictMapping? {
        guard let value = take(key) else { return nil }
        guard let map = value as? [String: Any] else { throw ConfigurationError("\(name(key)) must be a mapping") }
        return StrictMapping(map, path: name(key))
    }

    mutating func mappings(_ key: String) throws -> [StrictMapping] {
        guard let value = take(key) else { return [] }
        guard let list = value as? [Any] else { throw ConfigurationError("\(name(key)) must be a list") }
        return try list.enumerated().map { index, item in
            guard let map = item as? [String: Any] else { throw ConfigurationError("\(name(key))[\(index)] must be a mapping") }
            return StrictMapping(map, path: "\(name(key))[\(index)]")
        }
    }

    func finish() throws {
        let unknown = Set(values.keys).subtracting(read).sorted()
        guard unknown.isEmpty else {
            throw ConfigurationError("unknown key\(unknown.count > 1 ? "s" : "") \(unknown.map { name($0) }.joined(separator: ", "))")
        }
    }
}
