import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import WardenJSON
import WardenTrust

/// An OCI distribution API v2 registry: pulls by tag or digest with every byte verified,
/// pushes blobs and manifests, finds referrers through the referrers API or its tag fallback,
/// and answers Basic and Bearer (token) challenges. Loopback registries speak plain HTTP unless
/// an outbound TLS configuration is given; anything else HTTPS.
public struct DistributionStore: ArtifactStore {
    public let host: String
    public let repository: String
    let credentials: RegistryCredentials?
    let client: HTTPClient
    /// Set when the registry is reached with Warden's outbound TLS configuration (always HTTPS).
    let tls: OutboundTLSSettings?
    let tokens = TokenCache()
    static let timeout: TimeAmount = .seconds(120)
    static let manifestAccept = [MediaType.imageManifest, MediaType.imageIndex, MediaType.dockerManifest].joined(separator: ", ")

    public var name: String { "\(host)/\(repository)" }

    public init(host: String, repository: String, credentials: RegistryCredentials? = nil, client: HTTPClient = .shared) {
        self.host = host
        self.repository = repository
        self.credentials = credentials
        self.client = client
        self.tls = nil
    }

    /// A registry reached with these roots, client certificate and minimum version (over TLS
    /// even on loopback), or without (the system roots; plain HTTP on loopback).
    public init(host: String, repository: String, credentials: RegistryCredentials? = nil, tls: OutboundTLSSettings?) throws(RegistryError)
    {
        self.host = host
        self.repository = repository
        self.credentials = credentials
        self.client = try OutboundHTTPClients.client(for: tls)
        self.tls = tls
    }

    var baseURL: String {
        let hostname = host.split(separator: ":").first.map(String.init) ?? host
        let loopback = hostname == "localhost" || hostname == "127.0.0.1" || hostname == "[::1]"
        return (loopback && tls == nil ? "http://" : "https://") + host + "/v2/" + repository
    }

    // MARK: Reading

    public func resolve(_ reference: String) async throws(RegistryError) -> Descriptor? {
        let response = try await send(.GET, "/manifests/\(reference)", accept: Self.manifestAccept)
        if response.status == .notFound { return nil }
        try Self.expect(response, .ok, "manifest \(reference)")
        let bytes = try await Self.collect(response, limit: Int64(ImageManifest.maximumSize), what: "manifest \(reference)")
        let digest = SHA256Digest.of(bytes)
        // A digest reference must be answered with exactly those bytes.
        if let asked = SHA256Digest(parsing: reference), asked != digest {
            throw RegistryError.digestMismatch(expected: asked, actual: digest)
        }
        let mediaType = response.headers.first(name: "Content-Type") ?? MediaType.imageManifest
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }

    public func manifestBytes(_ digest: SHA256Digest) async throws(RegistryError) -> [UInt8] {
        let response = try await send(.GET, "/manifests/\(digest)", accept: Self.manifestAccept)
        if response.status == .notFound { throw RegistryError.notFound("manifest \(digest) in \(name)") }
        try Self.expect(response, .ok, "manifest \(digest)")
        let bytes = try await Self.collect(response, limit: Int64(ImageManifest.maximumSize), what: "manifest \(digest)")
        try BlobCheck.verify(bytes, against: Descriptor(mediaType: "", digest: digest, size: -1))
        return bytes
    }

    public func blobBytes(_ descriptor: Descriptor, limit: Int64) async throws(RegistryError) -> [UInt8] {
        guard descriptor.size <= limit else { throw RegistryError.tooLarge(what: "blob \(descriptor.digest)", limit: limit) }
        let response = try await send(.GET, "/blobs/\(descriptor.digest)")
        if response.status == .notFound { throw RegistryError.notFound("blob \(descriptor.digest) in \(name)") }
        try Self.expect(response, .ok, "blob \(descriptor.digest)")
        let bytes = try await Self.collect(response, limit: limit, what: "blob \(descriptor.digest)")
        try BlobCheck.verify(bytes, against: descriptor)
        return bytes
    }

    public func downloadBlob(_ descriptor: Descriptor, to path: String, limit: Int64) async throws(RegistryError) {
        let response = try await send(.GET, "/blobs/\(descriptor.digest)")
        if response.status == .notFound { throw RegistryError.notFound("blob \(descriptor.digest) in \(name)") }
        try Self.expect(response, .ok, "blob \(descriptor.digest)")
        try await VerifyingFileSink.receive(
            response.body, into: path, expected: descriptor, limit: limit, source: "\(name) blob \(descriptor.digest)")
    }

    public func referrers(of digest: SHA256Digest) async throws(RegistryError) -> [Descriptor] {
        var response = try await send(.GET, "/referrers/\(digest)", accept: MediaType.imageIndex)
        if response.status == .ok {
            // The API pages its answer (a Link header names the next page): follow a bounded
            // number of pages, so a subject with thousands of referrers costs a known amount.
            var found: [Descriptor] = []
            for page in 1...Self.maximumReferrerPages {
                let bytes = try await Self.collect(response, limit: Int64(ImageManifest.maximumSize), what: "referrers of \(digest)")
                found += try ImageIndex(bytes: bytes).manifests
                guard let next = Self.nextPage(response.headers.first(name: "Link")), page < Self.maximumReferrerPages else { break }
                response = try await send(.GET, url: absoluteURL(next), accept: MediaType.imageIndex, length: nil)
                try Self.expect(response, .ok, "referrers of \(digest)")
            }
            return found
        }
        // No referrers API (Distribution 2.x answers 404): the tag schema is the fallback.
        _ = try? await response.body.collect(upTo: 1 << 16)
        return try await referrersFromTag(of: digest)
    }

    static let maximumReferrerPages = 16

    /// A URL the registry gave in a header (Location, Link): absolute, or a path on this registry.
    private func absoluteURL(_ location: String) -> String {
        location.hasPrefix("http") ? location : baseURL.components(separatedBy: "/v2/")[0] + location
    }

    /// The target of a `Link: <URL>; rel="next"` header (RFC 8288), as the referrers API sends it.
    static func nextPage(_ header: String?) -> String? {
        guard let header else { return nil }
        for link in header.split(separator: ",") {
            let parts = link.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let target = parts.first, target.hasPrefix("<"), target.hasSuffix(">"),
                parts.dropFirst().contains(where: { $0.replacingOccurrences(of: "\"", with: "") == "rel=next" })
            else { continue }
            return String(target.dropFirst().dropLast())
        }
        return nil
    }

    // MARK: Writing

    public func pushBlob(_ bytes: [UInt8]) async throws(RegistryError) -> SHA256Digest {
        let digest = SHA256Digest.of(bytes)
        try await upload(digest: digest, size: Int64(bytes.count), body: .bytes(bytes))
        return digest
    }

    public func pushBlob(fileAt path: String) async throws(RegistryError) -> Descriptor {
        let digest: SHA256Digest
        do { digest = try FileHasher.digest(ofFileAt: path) } catch { throw RegistryError.transport(error.description) }
        let size = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
        try await upload(digest: digest, size: size, body: .stream(FileChunks(path: path), length: .known(size)))
        return Descriptor(mediaType: MediaType.modelFile, digest: digest, size: size)
    }

    public func pushManifest(_ bytes: [UInt8], mediaType: String, tag: String?) async throws(RegistryError) -> Descriptor {
        let digest = SHA256Digest.of(bytes)
        let response = try await send(.PUT, "/manifests/\(tag ?? digest.description)", contentType: mediaType, body: .bytes(bytes))
        try Self.expect(response, .created, "manifest upload")
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }

    /// Monolithic upload: POST for a session, then PUT the bytes with the digest. Skipped when
    /// the registry already has the blob.
    private func upload(digest: SHA256Digest, size: Int64, body: @autoclosure () -> HTTPClientRequest.Body) async throws(RegistryError) {
        let head = try await send(.HEAD, "/blobs/\(digest)")
        if head.status == .ok { return }
        let session = try await send(.POST, "/blobs/uploads/")
        try Self.expect(session, .accepted, "blob upload session")
        guard let location = session.headers.first(name: "Location") else {
            throw RegistryError.transport("upload session without a Location")
        }
        let absolute = absoluteURL(location)
        let separator = absolute.contains("?") ? "&" : "?"
        let response = try await send(
            .PUT, url: absolute + separator + "digest=" + digest.description, contentType: "application/octet-stream", body: body(),
            length: size)
        try Self.expect(response, .created, "blob upload \(digest)")
    }

    // MARK: HTTP

    private func send(
        _ method: HTTPMethod, _ path: String, accept: String? = nil, contentType: String? = nil, body: HTTPClientRequest.Body? = nil
    ) async throws(RegistryError) -> HTTPClientResponse {
        try await send(method, url: baseURL + path, accept: accept, contentType: contentType, body: body, length: nil)
    }

    /// Sends a request, answering one authentication challenge if the registry asks.
    private func send(
        _ method: HTTPMethod, url: String, accept: String? = nil, contentType: String? = nil, body: HTTPClientRequest.Body? = nil,
        length: Int64?
    ) async throws(RegistryError) -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let accept { request.headers.add(name: "Accept", value: accept) }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = body }
        if let authorization = await tokens.authorization { request.headers.replaceOrAdd(name: "Authorization", value: authorization) }
        var response = try await execute(request)
        guard response.status == .unauthorized, let header = response.headers.first(name: "WWW-Authenticate"),
            let challenge = AuthChallenge(header: header)
        else { return response }
        _ = try? await response.body.collect(upTo: 1 << 16)
        let authorization = try await authorize(challenge)
        await tokens.set(authorization)
        request.headers.replaceOrAdd(name: "Authorization", value: authorization)
        // A streamed body cannot be replayed; uploads first pass through HEAD/POST, which authenticate.
        response = try await execute(request)
        if response.status == .unauthorized { throw RegistryError.unauthorized("\(name) refused the credentials") }
        return response
    }

    private func authorize(_ challenge: AuthChallenge) async throws(RegistryError) -> String {
        switch challenge.scheme {
        case "basic":
            guard let credentials else { throw RegistryError.unauthorized("\(name) needs credentials (--registry-credentials)") }
            return credentials.basicAuthorization
        case "bearer":
            guard let realm = challenge.parameters["realm"],
                realm.hasPrefix("https://") || realm.hasPrefix("http://127.0.0.1")
                    || realm.hasPrefix("http://localhost")
            else {
                throw RegistryError.unauthorized("bearer realm \(challenge.parameters["realm"] ?? "?") is not HTTPS")
            }
            var query: [String] = []
            if let service = challenge.parameters["service"] { query.append("service=" + Self.percentEncode(service)) }
            query.append("scope=" + Self.percentEncode(challenge.parameters["scope"] ?? "repository:\(repository):pull,push"))
            var request = HTTPClientRequest(url: realm + (realm.contains("?") ? "&" : "?") + query.joined(separator: "&"))
            if let credentials { request.headers.add(name: "Authorization", value: credentials.basicAuthorization) }
            let response = try await execute(request)
            try Self.expect(response, .ok, "token request")
            let bytes = try await Self.collect(response, limit: 1 << 20, what: "token")
            guard let json = try? JSONParser.parse(bytes), case let .string(token)? = json["token"] ?? json["access_token"], !token.isEmpty
            else {
                throw RegistryError.unauthorized("the token service answered without a token")
            }
            return "Bearer " + token
        default:
            throw RegistryError.unauthorized("unsupported authentication scheme \(challenge.scheme)")
        }
    }

    private func execute(_ request: HTTPClientRequest) async throws(RegistryError) -> HTTPClientResponse {
        do {
            return try await client.execute(request, timeout: Self.timeout)
        } catch {
            if var refusal = TLSRefusal.describe(error) {
                if refusal.contains("CERTIFICATE_VERIFY_FAILED"), let (name, port) = Self.endpoint(host),
                    let diagnosis = await TLSDiagnosis.diagnose(host: name, port: port, trustedCABundle: tls?.caBundleFile)
                {
                    refusal = diagnosis
                }
                throw RegistryError.tls("\(host): \(refusal)")
            }
            // TLS 1.3 ends the client's handshake before the server has judged its certificate:
            // a refusal then arrives as the connection closing.
            if let closed = error as? HTTPClientError, closed == .remoteConnectionClosed, baseURL.hasPrefix("https://") {
                throw RegistryError.tls(
                    tls?.certificateFile == nil
                        ? "\(host) closed the connection after the handshake: it requires a client certificate, and none is configured"
                        : "\(host) closed the connection after the handshake: it refused the client certificate")
            }
            throw RegistryError.transport("\(request.method) \(request.url): \(error)")
        }
    }

    /// The registry's host name and port (443 unless named).
    static func endpoint(_ host: String) -> (String, Int)? {
        guard let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") else { return (host, 443) }
        guard let port = Int(host[host.index(after: colon)...]) else { return nil }
        return (String(host[..<colon]).trimmingCharacters(in: ["[", "]"]), port)
    }

    private static func expect(_ response: HTTPClientResponse, _ status: HTTPResponseStatus, _ what: String) throws(RegistryError) {
        guard response.status == status else {
            if response.status == .unauthorized || response.status == .forbidden {
                throw RegistryError.unauthorized("\(what): \(response.status)")
            }
            throw RegistryError.transport("\(what): registry answered \(response.status.code) \(response.status.reasonPhrase)")
        }
    }

    private static func collect(_ response: HTTPClientResponse, limit: Int64, what: String) async throws(RegistryError) -> [UInt8] {
        if let length = response.headers.first(name: "Content-Length").flatMap(Int64.init), length > limit {
            throw RegistryError.tooLarge(what: what, limit: limit)
        }
        do {
            let buffer = try await response.body.collect(upTo: Int(limit))
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw RegistryError.tooLarge(what: what, limit: limit)
        } catch {
            throw RegistryError.transport("\(what): \(error)")
        }
    }

    private static func percentEncode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }
}

/// The bearer token (or basic header) that last worked, reused for the following requests.
actor TokenCache {
    private(set) var authorization: String?
    func set(_ value: String) { authorization = value }
}
