import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import WardenTrust

/// The credentials KMS calls are signed with: a pod's web identity exchanged with STS for a
/// role's temporary key (IRSA), else the shared credentials file. Temporary keys are kept until
/// five minutes before they expire.
final class AWSCredentialProvider: Sendable {
    private let environment: AWSEnvironment
    private let region: String
    private let http: HTTPClient
    private let cached = Mutex<AWSCredentials?>(nil)

    init(environment: AWSEnvironment, region: String, http: HTTPClient) {
        self.environment = environment
        self.region = region
        self.http = http
    }

    func current() async throws(TrustFailure) -> AWSCredentials {
        if let credentials = cached.withLock({ $0 }), Self.isFresh(credentials) { return credentials }
        let credentials: AWSCredentials
        if let tokenFile = environment.webIdentityTokenFile {
            credentials = try await assumeRole(tokenFile: tokenFile)
        } else {
            credentials = try environment.sharedCredentials()
        }
        cached.withLock { $0 = credentials }
        return credentials
    }

    private static func isFresh(_ credentials: AWSCredentials) -> Bool {
        guard let expiration = credentials.expiration else { return true }
        return expiration.timeIntervalSinceNow > 300
    }

    /// STS AssumeRoleWithWebIdentity: an unsigned call whose proof is the token file's JWT.
    private func assumeRole(tokenFile: String) async throws(TrustFailure) -> AWSCredentials {
        guard let role = environment.roleARN else {
            throw TrustFailure(
                .keyStoreRefused, "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not: which role should the token assume?")
        }
        guard let token = try? String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            !token.isEmpty
        else {
            throw TrustFailure(.keyStoreRefused, "cannot read the web-identity token file \(tokenFile)")
        }
        let endpoint = environment.stsEndpoint ?? "https://sts.\(region).amazonaws.com"
        var form = URLComponents()
        form.queryItems = [
            URLQueryItem(name: "Action", value: "AssumeRoleWithWebIdentity"), URLQueryItem(name: "Version", value: "2011-06-15"),
            URLQueryItem(name: "RoleArn", value: role), URLQueryItem(name: "RoleSessionName", value: environment.roleSessionName),
            URLQueryItem(name: "WebIdentityToken", value: token),
        ]
        // URLComponents leaves + and = alone in values; a form body needs them escaped.
        let body = (form.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        var request = HTTPClientRequest(url: endpoint.hasSuffix("/") ? endpoint : endpoint + "/")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: body))
        let answer: String
        let status: UInt
        do {
            let response = try await http.execute(request, timeout: .seconds(10))
            status = response.status.code
            answer = String(buffer: try await response.body.collect(upTo: 1 << 20))
        } catch {
            throw TrustFailure(.keyStoreUnavailable, "STS at \(endpoint) did not answer AssumeRoleWithWebIdentity: \(error)")
        }
        guard status == 200, let id = Self.element("AccessKeyId", in: answer), let secret = Self.element("SecretAccessKey", in: answer)
        else {
            let code = Self.element("Code", in: answer) ?? "HTTP \(status)"
            throw TrustFailure(
                .keyStoreRefused, "STS refused AssumeRoleWithWebIdentity for \(role): \(code) \(Self.element("Message", in: answer) ?? "")")
        }
        // An expiry Warden cannot read is taken as the shortest session STS grants (15 minutes).
        let expiration =
            Self.element("Expiration", in: answer).flatMap { try? Date($0, strategy: .iso8601) } ?? Date().addingTimeInterval(900)
        return AWSCredentials(
            accessKeyID: id, secretAccessKey: secret, sessionToken: Self.element("SessionToken", in: answer), expiration: expiration)
    }

    /// The text of the first `<name>…</name>` in STS's XML answer (flat, no attributes).
    static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex) else {
            return nil
        }
        return String(xml[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
