import Foundation

/// Reads keys from a YAML mapping, checking types, and refuses keys nobody read.
package struct StrictMapping {
    private var values: [String: Any]
    private var read = Set<String>()
    package let path: String

    package init(_ values: [String: Any], path: String) {
        self.values = values
        self.path = path
    }

    private func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private mutating func take(_ key: String) -> Any? {
        read.insert(key)
        return values[key]
    }

    package mutating func string(_ key: String) throws -> String? {
        guard let value = take(key) else { return nil }
        guard let text = value as? String else { throw ConfigurationError("\(name(key)) must be a string") }
        return text
    }

    /// Versions are often written as bare numbers (`version: 2`).
    package mutating func versionString(_ key: String) throws -> String? {
        guard let value = take(key) else { return nil }
        if let text = value as? String { return text }
        if let number = value as? Int { return String(number) }
        throw ConfigurationError("\(name(key)) must be a string or an integer")
    }

    package mutating func strings(_ key: String) throws -> [String]? {
        guard let value = take(key) else { return nil }
        guard let list = value as? [Any], let texts = list as? [String] else {
            throw ConfigurationError("\(name(key)) must be a list of strings")
        }
        return texts
    }

    /// An RFC 3339 time (YAML may already have turned it into a Date).
    package mutating func date(_ key: String) throws -> Date? {
        guard let value = take(key) else { return nil }
        if let date = value as? Date { return date }
        if let text = value as? String, let date = ISO8601DateFormatter().date(from: text) { return date }
        throw ConfigurationError("\(name(key)) must be an RFC 3339 time such as 2026-01-01T00:00:00Z")
    }

    /// The keys of this mapping, for mappings keyed by user-chosen names.
    package var keys: [String] { values.keys.sorted() }

    package mutating func bool(_ key: String) throws -> Bool? {
        guard let value = take(key) else { return nil }
        guard let flag = value as? Bool else { throw ConfigurationError("\(name(key)) must be true or false") }
        return flag
    }

    package mutating func nonNegativeInt(_ key: String) throws -> Int? {
        guard let value = take(key) else { return nil }
        guard let number = value as? Int, number >= 0 else { throw ConfigurationError("\(name(key)) must be a non-negative integer") }
        return number
    }

    package mutating func positiveInt(_ key: String) throws -> Int? {
        guard let value = take(key) else { return nil }
        guard let number = value as? Int, number > 0 else { throw ConfigurationError("\(name(key)) must be a positive integer") }
        return number
    }

    package mutating func port(_ key: String) throws -> Int? {
        guard let value = take(key) else { return nil }
        guard let number = value as? Int, (0...65535).contains(number) else {
            throw ConfigurationError("\(name(key)) must be a port number")
        }
        return number
    }

    package mutating func number(_ key: String) throws -> Double? {
        guard let value = take(key) else { return nil }
        if let number = value as? Int { return Double(number) }
        if let number = value as? Double { return number }
        throw ConfigurationError("\(name(key)) must be a number")
    }

    package mutating func numbers(_ key: String) throws -> [Double]? {
        guard let value = take(key) else { return nil }
        guard let list = value as? [Any] else { throw ConfigurationError("\(name(key)) must be a list of numbers") }
        return try list.map { item in
            if let number = item as? Int { return Double(number) }
            if let number = item as? Double { return number }
            throw ConfigurationError("\(name(key)) must be a list of numbers")
        }
    }

    package mutating func seconds(_ key: String) throws -> Duration? {
        guard let value = take(key) else { return nil }
        // Bounded, so that no clock arithmetic on it can overflow (a trap, not an error).
        if let number = value as? Int, (0...Self.maxSeconds).contains(number) { return .seconds(number) }
        if let number = value as? Double, (0...Double(Self.maxSeconds)).contains(number) { return .milliseconds(Int64(number * 1000)) }
        throw ConfigurationError("\(name(key)) must be a number of seconds from 0 to \(Self.maxSeconds) (a year)")
    }

    /// The longest duration a setting may name: a year.
    package static let maxSeconds = 31_536_000

    package mutating func mapping(_ key: String) throws -> StrictMapping? {
        guard let value = take(key) else { return nil }
        guard let map = value as? [String: Any] else { throw ConfigurationError("\(name(key)) must be a mapping") }
        return StrictMapping(map, path: name(key))
    }

    package mutating func mappings(_ key: String) throws -> [StrictMapping] {
        guard let value = take(key) else { return [] }
        guard let list = value as? [Any] else { throw ConfigurationError("\(name(key)) must be a list") }
        return try list.enumerated().map { index, item in
            guard let map = item as? [String: Any] else { throw ConfigurationError("\(name(key))[\(index)] must be a mapping") }
            return StrictMapping(map, path: "\(name(key))[\(index)]")
        }
    }

    package func finish() throws {
        let unknown = Set(values.keys).subtracting(read).sorted()
        guard unknown.isEmpty else {
            throw ConfigurationError("unknown key\(unknown.count > 1 ? "s" : "") \(unknown.map { name($0) }.joined(separator: ", "))")
        }
    }
}
