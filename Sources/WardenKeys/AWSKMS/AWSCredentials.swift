import Foundation
import WardenTrust

/// An AWS access key, possibly temporary. `description` never shows the secret or the token.
struct AWSCredentials: Sendable, CustomStringConvertible {
    let accessKeyID: String
    let secretAccessKey: String
    let sessionToken: String?
    /// When temporary credentials stop working; nil for a long-lived key.
    let expiration: Date?

    var description: String { "AWS access key \(accessKeyID)" }
}

/// Where Warden's AWS settings come from: the SDKs' own conventions, minus the one Warden
/// refuses. Paths and names may come from the environment (IRSA sets `AWS_ROLE_ARN` and
/// `AWS_WEB_IDENTITY_TOKEN_FILE`); the credentials themselves only from files, never from
/// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, which leak into process listings and crash dumps.
struct AWSEnvironment: Sendable {
    var region: String?
    var sharedCredentialsFile: String
    var configFile: String
    var profile: String
    var webIdentityTokenFile: String?
    var roleARN: String?
    var roleSessionName: String
    /// A CA bundle for the KMS and STS endpoints instead of the system roots.
    var caBundle: String?
    /// Where STS is reached for the web-identity exchange (`AWS_ENDPOINT_URL_STS`).
    var stsEndpoint: String?

    static func current(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> AWSEnvironment {
        let home = environment["HOME"] ?? NSHomeDirectory()
        return AWSEnvironment(
            region: environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"],
            sharedCredentialsFile: environment["AWS_SHARED_CREDENTIALS_FILE"] ?? home + "/.aws/credentials",
            configFile: environment["AWS_CONFIG_FILE"] ?? home + "/.aws/config",
            profile: environment["AWS_PROFILE"] ?? "default",
            webIdentityTokenFile: environment["AWS_WEB_IDENTITY_TOKEN_FILE"],
            roleARN: environment["AWS_ROLE_ARN"],
            roleSessionName: environment["AWS_ROLE_SESSION_NAME"] ?? "warden",
            caBundle: environment["AWS_CA_BUNDLE"],
            stsEndpoint: environment["AWS_ENDPOINT_URL_STS"])
    }

    /// The region for a key: the ARN's, else the environment's, else the config file's profile.
    func region(for key: AWSKMSKeyURI) throws(TrustFailure) -> String {
        if let region = key.arnRegion ?? region { return region }
        let section = profile == "default" ? "default" : "profile \(profile)"
        if let text = try? String(contentsOfFile: configFile, encoding: .utf8), let region = Self.ini(text)[section]?["region"] {
            return region
        }
        throw TrustFailure(.malformedKey, "\(key): no AWS region (use a key ARN, set AWS_REGION, or region= in \(configFile))")
    }

    /// The long-lived key of `profile` in the shared credentials file.
    func sharedCredentials() throws(TrustFailure) -> AWSCredentials {
        guard let text = try? String(contentsOfFile: sharedCredentialsFile, encoding: .utf8) else {
            throw TrustFailure(
                .keyStoreRefused,
                "no AWS credentials: \(sharedCredentialsFile) cannot be read and no web-identity token file is set (AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN)"
            )
        }
        guard let section = Self.ini(text)[profile], let id = section["aws_access_key_id"], let secret = section["aws_secret_access_key"]
        else {
            throw TrustFailure(
                .keyStoreRefused, "\(sharedCredentialsFile) has no aws_access_key_id and aws_secret_access_key for profile \(profile)")
        }
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: section["aws_session_token"], expiration: nil)
    }

    /// The sections of an INI file (AWS's credentials and config files), keys lowercased.
    static func ini(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                current = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            sections[current, default: [:]][key] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return sections
    }
}
