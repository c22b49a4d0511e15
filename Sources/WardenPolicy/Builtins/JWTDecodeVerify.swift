import Crypto
import Foundation
import _CryptoExtras

/// `io.jwt.decode_verify(token, constraints)`: the signature checked with `cert` (a PEM public
/// key or a JWKS) or `secret` (HS*), then the claims: `exp` and `nbf` against `time` (the
/// evaluation's clock unless given, in nanoseconds), `iss` when constrained, and `aud` both
/// ways. Answers `[true, header, payload]`, or `[false, {}, {}]` when anything fails.
extension Builtins {
    static let jwtDecodeVerify: [String: Builtin] = [
        "io.jwt.decode_verify": Builtin(arity: 2) { args, context in
            let token = try JWT(try args.string(0))
            let constraints = try JWTConstraints(try args.object(1), now: context.now)
            let invalid = Value.array([.bool(false), .object([]), .object([])])
            guard case let .string(algorithm)? = token.header[.string("alg")] else { return invalid }
            if let wanted = constraints.algorithm, wanted != algorithm { return invalid }
            let verified: Bool
            if let secret = constraints.secret {
                verified = try algorithm.hasPrefix("HS") && token.verify(key: secret, algorithm: algorithm)
            } else {
                verified = try constraints.publicKeys().contains { pem in (try? token.verify(key: pem, algorithm: algorithm)) == true }
            }
            guard verified, constraints.admits(token.payload) else { return invalid }
            return .array([.bool(true), token.header, token.payload])
        }
    ]
}

struct JWTConstraints {
    var cert: String?
    var secret: String?
    var algorithm: String?
    var issuer: String?
    var audience: String?
    var time: Number

    init(_ members: [(key: Value, value: Value)], now: Int64) throws {
        time = Number(now)
        for (key, value) in members {
            switch (key, value) {
            case (.string("cert"), .string(let text)): cert = text
            case (.string("secret"), .string(let text)): secret = text
            case (.string("alg"), .string(let text)): algorithm = text
            case (.string("iss"), .string(let text)): issuer = text
            case (.string("aud"), .string(let text)): audience = text
            case (.string("time"), .number(let number)): time = number
            default: throw BuiltinError(message: "unknown or mistyped constraint \(key)")
            }
        }
        guard (cert == nil) != (secret == nil) else { throw BuiltinError(message: "exactly one of cert and secret is required") }
    }

    /// The PEM public keys `cert` names: itself, or each key of a JWKS (or a single JWK).
    func publicKeys() throws -> [String] {
        guard let cert else { return [] }
        guard cert.first == "{", let document = Value.parse(json: cert) else { return [cert] }
        var keys = [document]
        if case let .array(list)? = document[.string("keys")] { keys = list }
        return keys.compactMap(Self.pem)
    }

    private static func pem(_ jwk: Value) -> String? {
        func bytes(_ name: String) -> Data? {
            guard case let .string(text)? = jwk[.string(name)] else { return nil }
            return Builtins.base64URLDecode(text).map { Data($0) }
        }
        switch jwk[.string("kty")] {
        case .string("EC")?:
            guard let x = bytes("x"), let y = bytes("y") else { return nil }
            let point = Data([4]) + x + y
            switch jwk[.string("crv")] {
            case .string("P-256")?: return try? P256.Signing.PublicKey(x963Representation: point).pemRepresentation
            case .string("P-384")?: return try? P384.Signing.PublicKey(x963Representation: point).pemRepresentation
            case .string("P-521")?: return try? P521.Signing.PublicKey(x963Representation: point).pemRepresentation
            default: return nil
            }
        case .string("RSA")?:
            guard let n = bytes("n"), let e = bytes("e") else { return nil }
            return try? _RSA.Signing.PublicKey(n: n, e: e).pemRepresentation
        default:
            return nil
        }
    }

    /// The registered claims against the constraints.
    func admits(_ payload: Value) -> Bool {
        let billion = Number(Int64(1_000_000_000))
        func seconds(_ name: String) -> Number?? {
            guard let claim = payload[.string(name)] else { return .some(nil) }
            guard case let .number(value) = claim, let scaled = try? Number.multiply(value, billion) else { return nil }
            return .some(scaled)
        }
        guard let expiry = seconds("exp"), let notBefore = seconds("nbf") else { return false }
        if let expiry, !(time < expiry) { return false }
        if let notBefore, time < notBefore { return false }
        if let issuer, payload[.string("iss")] != .string(issuer) { return false }
        switch payload[.string("aud")] {
        case nil: return audience == nil
        case .string(let single)?: return audience == single
        case .array(let list)?: return audience.map { list.contains(.string($0)) } ?? false
        default: return false
        }
    }
}
