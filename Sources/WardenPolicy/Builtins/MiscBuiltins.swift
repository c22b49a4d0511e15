import Crypto
import Foundation
import _CryptoExtras

extension Builtins {
    static let miscBuiltins: [String: Builtin] = jwtVerifiers.merging([
        "semver.is_valid": fixed(1) { args in
            guard case let .string(text) = args[0] else { return .bool(false) }
            return .bool(SemanticVersion(text) != nil)
        },
        "semver.compare": fixed(2) { args in
            guard let a = SemanticVersion(try args.string(0)) else {
                throw BuiltinError(message: "operand 1: string \"\(try args.string(0))\" is not a valid SemVer")
            }
            guard let b = SemanticVersion(try args.string(1)) else {
                throw BuiltinError(message: "operand 2: string \"\(try args.string(1))\" is not a valid SemVer")
            }
            return .integer(a < b ? -1 : a == b ? 0 : 1)
        },
        "net.cidr_contains": fixed(2) { args in
            guard let network = CIDR(try args.string(0)) else { throw BuiltinError(message: "invalid CIDR \(try args.string(0))") }
            let other = try args.string(1)
            if let inner = CIDR(other) { return .bool(network.contains(inner)) }
            guard let address = CIDR.address(other) else { throw BuiltinError(message: "invalid IP or CIDR \(other)") }
            return .bool(network.contains(CIDR(address: address, prefix: address.count * 8)))
        },
        "units.parse_bytes": fixed(1) { args in
            guard let bytes = Units.parse(try args.string(0), bytes: true) else {
                throw BuiltinError(message: "could not parse byte amount")
            }
            return bytes
        },
        "units.parse": fixed(1) { args in
            guard let value = Units.parse(try args.string(0), bytes: false) else { throw BuiltinError(message: "could not parse amount") }
            return value
        },
        "crypto.sha256": fixed(1) {
            .string(hex(SHA256.hash(data: Data(try $0.string(0).utf8))))
        },
        "crypto.sha1": fixed(1) {
            .string(hex(Insecure.SHA1.hash(data: Data(try $0.string(0).utf8))))
        },
        "crypto.md5": fixed(1) {
            .string(hex(Insecure.MD5.hash(data: Data(try $0.string(0).utf8))))
        },
        "io.jwt.decode": fixed(1) { args in
            let token = try JWT(try args.string(0))
            return .array([token.header, token.payload, .string(Builtins.hex(token.signature))])
        },
    ]) { first, _ in first }
}

/// Semantic Versioning 2.0.0, with precedence rules for pre-release identifiers.
struct SemanticVersion: Comparable {
    let core: [Int64]
    let prerelease: [String]

    init?(_ text: String) {
        var main = Substring(text)
        // OPA's semver accepts a leading "v" (v1.2.3), as Go tooling writes versions.
        if main.hasPrefix("v") { main = main.dropFirst() }
        if let plus = main.firstIndex(of: "+") {
            let build = main[main.index(after: plus)...]
            guard !build.isEmpty, build.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(Self.isIdentifier) else {
                return nil
            }
            main = main[..<plus]
        }
        var pre: [String] = []
        if let dash = main.firstIndex(of: "-") {
            let parts = main[main.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false)
            guard !parts.isEmpty, parts.allSatisfy(Self.isIdentifier) else { return nil }
            for part in parts where part.allSatisfy(\.isNumber) && part.count > 1 && part.first == "0" { return nil }
            pre = parts.map(String.init)
            main = main[..<dash]
        }
        let numbers = main.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3 else { return nil }
        var core: [Int64] = []
        for number in numbers {
            guard !number.isEmpty, number.allSatisfy(\.isNumber), number.allSatisfy(\.isASCII), !(number.count > 1 && number.first == "0"),
                let value = Int64(number)
            else { return nil }
            core.append(value)
        }
        self.core = core
        prerelease = pre
    }

    static func isIdentifier(_ part: Substring) -> Bool {
        !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        if a.core != b.core { return a.core.lexicographicallyPrecedes(b.core) }
        if a.prerelease.isEmpty { return false }
        if b.prerelease.isEmpty { return true }
        for (x, y) in zip(a.prerelease, b.prerelease) where x != y {
            switch (Int64(x), Int64(y)) {
            case let (i?, j?): return i < j
            case (.some, nil): return true
            case (nil, .some): return false
            default: return x < y
            }
        }
        return a.prerelease.count < b.prerelease.count
    }
}

/// An IPv4 or IPv6 network.
struct CIDR {
    let address: [UInt8]
    let prefix: Int

    init(address: [UInt8], prefix: Int) {
        self.address = address
        self.prefix = prefix
    }

    init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let address = Self.address(String(parts[0])), let prefix = Int(parts[1]), prefix >= 0,
            prefix <= address.count * 8
        else { return nil }
        self.address = address
        self.prefix = prefix
    }

    /// An address as Go prints it: dotted IPv4, or IPv6 with the longest zero run as `::`.
    static func text(_ address: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = address.count == 4 ? AF_INET : AF_INET6
        _ = address.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        return String(cString: buffer)
    }

    static func address(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    func contains(_ other: CIDR) -> Bool {
        guard other.address.count == address.count, other.prefix >= prefix else { return false }
        for bit in 0..<prefix {
            let mask = UInt8(0x80) >> UInt8(bit % 8)
            if address[bit / 8] & mask != other.address[bit / 8] & mask { return false }
        }
        return true
    }
}

/// units.parse / units.parse_bytes: decimal (k, M, G…) and binary (Ki, Mi…) suffixes.
enum Units {
    static func parse(_ text: String, bytes: Bool) -> Value? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\"", with: "")
        guard let split = trimmed.firstIndex(where: { !($0.isNumber || $0 == ".") }) ?? Optional(trimmed.endIndex) else { return nil }
        let numberText = String(trimmed[..<split])
        var unit = String(trimmed[split...]).trimmingCharacters(in: .whitespaces)
        guard let number = Double(numberText) else { return nil }
        if bytes, unit.lowercased().hasSuffix("b") { unit = String(unit.dropLast()) }
        let lower = bytes ? unit.lowercased() : unit
        let decimal: [String: Double] =
            bytes
            ? ["": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12, "p": 1e15, "e": 1e18]
            : ["": 1, "m": 1e-3, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18]
        let binary: [String: Double] =
            bytes
            ? ["ki": 1024, "mi": 1_048_576, "gi": 1_073_741_824, "ti": 1_099_511_627_776, "pi": 1_125_899_906_842_624]
            : ["Ki": 1024, "Mi": 1_048_576, "Gi": 1_073_741_824, "Ti": 1_099_511_627_776, "Pi": 1_125_899_906_842_624]
        guard let factor = decimal[lower] ?? binary[lower] else { return nil }
        let result = number * factor
        return bytes ? .integer(Int64(result.rounded(.down))) : .double(result)
    }
}

/// A compact JWS: header and payload decoded, signature kept for verification.
struct JWT {
    let header: Value
    let payload: Value
    let signature: [UInt8]
    let signingInput: [UInt8]

    init(_ token: String) throws {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Builtins.base64URLDecode(String(parts[0])),
            let payloadData = Builtins.base64URLDecode(String(parts[1])), let signatureData = Builtins.base64URLDecode(String(parts[2])),
            let header = Value.parse(json: String(decoding: headerData, as: UTF8.self)),
            let payload = Value.parse(json: String(decoding: payloadData, as: UTF8.self))
        else { throw BuiltinError(message: "failed to split and decode JWT") }
        self.header = header
        self.payload = payload
        signature = Array(signatureData)
        signingInput = Array((parts[0] + "." + parts[1]).utf8)
    }
}
