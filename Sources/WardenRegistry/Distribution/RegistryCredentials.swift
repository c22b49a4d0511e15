import Foundation
import WardenJSON

/// Registry credentials, read from a Docker-style `config.json` file (`auths.<host>.auth` =
/// base64 `user:password`, or `username`/`password`), as Kubernetes image-pull secrets and
/// Vault Agent templates write it. Never from the environment, never logged.
public struct RegistryCredentials: Sendable {
    public let username: String
    public let password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// The credentials for `host` in the file at `path`, if it has any.
    public static func load(fromFile path: String, host: String) throws(RegistryError) -> RegistryCredentials? {
        guard let data = FileManager.default.contents(atPath: path), let json = try? JSONParser.parse(Array(data)) else {
            throw RegistryError.unauthorized("cannot read credentials file \(path)")
        }
        guard let entry = json["auths"]?[host] ?? json["auths"]?["http://" + host] ?? json["auths"]?["https://" + host] else { return nil }
        if case let .string(user)? = entry["username"], case let .string(password)? = entry["password"] {
            return RegistryCredentials(username: user, password: password)
        }
        guard case let .string(encoded)? = entry["auth"], let decoded = Data(base64Encoded: encoded),
            let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else {
            throw RegistryError.unauthorized("credentials for \(host) in \(path) are malformed")
        }
        return RegistryCredentials(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }

    var basicAuthorization: String { "Basic " + Data("\(username):\(password)".utf8).base64EncodedString() }
}
