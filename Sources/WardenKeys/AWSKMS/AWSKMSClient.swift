import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import WardenJSON
import WardenRegistry
import WardenTrust

/// The two KMS calls Warden makes (GetPublicKey, Sign) over the KMS JSON API, signed with
/// SigV4 and sent over verified TLS. A KMS that does not answer is retried a bounded number of
/// times within a deadline, then reported: there is no fallback to signing without it.
final class AWSKMSClient: Sendable {
    let key: AWSKMSKeyURI
    let region: String
    private let host: String
    private let credentials: AWSCredentialProvider
    private let http: HTTPClient
    private let retry: Retry

    /// How often and for how long an unanswered call is tried again.
    struct Retry: Sendable {
        var attempts = 3
        var firstBackoff: Duration = .milliseconds(200)
        /// All attempts of one call together, including waits.
        var deadline: Duration = .seconds(15)
        var perAttempt: TimeAmount = .seconds(5)
    }

    init(key: AWSKMSKeyURI, environment: AWSEnvironment, retry: Retry = Retry()) throws(TrustFailure) {
        self.key = key
        self.retry = retry
        region = try environment.region(for: key)
        host = key.endpoint ?? "kms.\(region).amazonaws.com"
        let tls = Self.tlsSettings(environment)
        do {
            http = try OutboundHTTPClients.client(for: tls)
        } catch {
            throw TrustFailure(.keyStoreUnavailable, "\(key): \(error)")
        }
        credentials = AWSCredentialProvider(environment: environment, region: region, http: http)
    }

    /// AWS endpoints speak TLS 1.2 and 1.3; a custom CA bundle replaces the system roots.
    static func tlsSettings(_ environment: AWSEnvironment) -> OutboundTLSSettings {
        var settings = OutboundTLSSettings(caBundleFile: environment.caBundle)
        settings.minimumVersion = .tlsv12
        return settings
    }

    /// Calls `TrentService.<action>` with `body`; the answer's JSON, or a failure that says
    /// whose fault it is (`key_not_found`, `key_store_refused`, `key_store_unavailable`).
    func call(_ action: String, _ body: JSONValue) async throws(TrustFailure) -> JSONValue {
        let payload = Array(body.serialized().utf8)
        let started = ContinuousClock.now
        var backoff = retry.firstBackoff
        var lastProblem = "no attempt was made"
        for attempt in 1...retry.attempts {
            do {
                return try await once(action, payload)
            } catch {
                switch error {
                case let .retryable(problem): lastProblem = problem
                case let .final(failure): throw failure
                }
            }
            guard attempt < retry.attempts, ContinuousClock.now + backoff < started + retry.deadline else { break }
            try? await Task.sleep(for: backoff)
            backoff *= 2
        }
        let elapsed = ContinuousClock.now - started
        throw TrustFailure(
            .keyStoreUnavailable,
            "AWS KMS at \(host) did not answer \(action) for \(key.keyID) (\(retry.attempts) attempts in \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))): \(lastProblem)"
        )
    }

    private enum Attempt: Error {
        case retryable(String)
        case final(TrustFailure)
    }

    private func once(_ action: String, _ payload: [UInt8]) async throws(Attempt) -> JSONValue {
        let credentials: AWSCredentials
        do {
            credentials = try await self.credentials.current()
        } catch {
            throw .final(error)
        }
        let headers = [
            "host": host, "content-type": "application/x-amz-json-1.1", "x-amz-target": "TrentService.\(action)",
        ]
        let signer = SigV4(credentials: credentials, region: region, service: "kms")
        var request = HTTPClientRequest(url: "https://\(host)/")
        request.method = .POST
        for (name, value) in headers where name != "host" { request.headers.add(name: name, value: value) }
        for (name, value) in signer.sign(method: "POST", path: "/", headers: headers, body: payload, at: Date()) {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(bytes: payload))
        let status: HTTPResponseStatus
        let answer: [UInt8]
        do {
            let response = try await http.execute(request, timeout: retry.perAttempt)
            status = response.status
            answer = Array(buffer: try await response.body.collect(upTo: 1 << 20))
        } catch {
            throw .retryable("\(error)")
        }
        let json = try? JSONParser.parse(answer)
        if status == .ok, let json { return json }
        // KMS answers errors in JSON; a gateway or an authentication layer in front may use
        // AWS's XML error form.
        let xml = String(decoding: answer, as: UTF8.self)
        let type =
            json?["__type"].flatMap(Self.string).map { String($0.split(separator: "#").last ?? "") }
            ?? AWSCredentialProvider.element("Code", in: xml) ?? "HTTP \(status.code)"
        let message =
            json?["message"].flatMap(Self.string) ?? json?["Message"].flatMap(Self.string) ?? AWSCredentialProvider.element(
                "Message", in: xml) ?? ""
        if status.code >= 500 || status == .tooManyRequests || type == "ThrottlingException" || type == "KMSInternalException" {
            throw .retryable("\(type) \(message)")
        }
        throw .final(TrustFailure(Self.code(for: type), "AWS KMS refused \(action) for \(key.keyID): \(type): \(message)"))
    }

    private static func code(for type: String) -> TrustFailure.Code {
        switch type {
        case "NotFoundException": .keyNotFound
        case "InvalidKeyUsageException", "UnsupportedOperationException": .unsupportedKey
        default: .keyStoreRefused
        }
    }

    static func string(_ value: JSONValue) -> String? {
        if case let .string(text) = value { return text }
        return nil
    }
}
