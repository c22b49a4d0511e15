import Crypto
import Foundation

extension Builtins {
    static let moreBuiltins: [String: Builtin] = [
        "indexof_n": fixed(2) { args in
            let text = Array(try args.string(0).unicodeScalars)
            let needle = Array(try args.string(1).unicodeScalars)
            guard !needle.isEmpty, needle.count <= text.count else { return .array([]) }
            var found: [Value] = []
            for start in 0...(text.count - needle.count) where Array(text[start..<start + needle.count]) == needle {
                found.append(.integer(Int64(start)))
            }
            return .array(found)
        },
        "strings.count": fixed(2) { args in
            let text = try args.string(0)
            let needle = try args.string(1)
            guard !needle.isEmpty else { return .integer(Int64(text.unicodeScalars.count + 1)) }
            return .integer(Int64(text.components(separatedBy: needle).count - 1))
        },
        "strings.replace_n": fixed(2) { args in
            var text = try args.string(1)
            for (old, new) in try args.object(0) {
                guard case let .string(o) = old, case let .string(n) = new else { throw BuiltinError.operand(1, "object of strings", old) }
                text = text.replacingOccurrences(of: o, with: n)
            }
            return .string(text)
        },
        "glob.quote_meta": fixed(1) { args in
            var out = ""
            for c in try args.string(0) {
                if "*?\\[]{}".contains(c) { out.append("\\") }
                out.append(c)
            }
            return .string(out)
        },
        "hex.decode": fixed(1) { args in
            let text = Array(try args.string(0).utf8)
            guard text.count % 2 == 0 else { throw BuiltinError(message: "odd length hex") }
            var bytes: [UInt8] = []
            var index = 0
            while index < text.count {
                guard let byte = UInt8(String(decoding: text[index..<index + 2], as: UTF8.self), radix: 16) else {
                    throw BuiltinError(message: "invalid hex")
                }
                bytes.append(byte)
                index += 2
            }
            return .string(String(decoding: bytes, as: UTF8.self))
        },
        "crypto.hmac.sha256": fixed(2) { args in .string(try hmac(SHA256.self, args)) },
        "crypto.hmac.md5": fixed(2) { args in .string(try hmac(Insecure.MD5.self, args)) },
        "crypto.hmac.sha1": fixed(2) { args in .string(try hmac(Insecure.SHA1.self, args)) },
        "crypto.hmac.sha512": fixed(2) { args in .string(try hmac(SHA512.self, args)) },
        "array.flatten": fixed(1) { args in
            // One level, as OPA flattens: nested arrays inside nested arrays stay.
            .array(try args.array(0).flatMap { item -> [Value] in if case let .array(inner) = item { inner } else { [item] } })
        },
        "numbers.range_step": fixed(3) { args in
            let from = try args.integer(0)
            let to = try args.integer(1)
            let step = try args.integer(2)
            guard step > 0 else { throw BuiltinError(message: "step must be a positive number above zero") }
            guard (to - from).magnitude / UInt64(step) < 1_000_000 else {
                throw BuiltinError(message: "range is longer than 1,000,000 numbers", isLimit: true)
            }
            return .array(Array(stride(from: from, through: to, by: Int64.Stride(from <= to ? step : -step))).map { .integer($0) })
        },
        // OPA records the note for its tracer; Warden has none, and the answer is always true.
        "trace": fixed(1) { args in
            _ = try args.string(0)
            return .bool(true)
        },
        "crypto.hmac.equal": fixed(2) { args in .bool(try args.string(0) == (try args.string(1))) },
        "net.cidr_is_valid": fixed(1) { args in
            guard case let .string(text) = args[0] else { return .bool(false) }
            return .bool(CIDR(text) != nil)
        },
        "net.cidr_intersects": fixed(2) { args in
            guard let a = CIDR(try args.string(0)), let b = CIDR(try args.string(1)) else { throw BuiltinError(message: "invalid CIDR") }
            return .bool(a.contains(b) || b.contains(a))
        },
        "object.subset": fixed(2) { args in .bool(isSubset(args[1], of: args[0])) },
        "urlquery.encode_object": fixed(1) { args in
            var parts: [String] = []
            for (key, value) in try args.object(0) {
                guard case let .string(name) = key else { throw BuiltinError.operand(1, "object with string keys", key) }
                let values: [Value]
                switch value {
                case let .array(items), let .set(items): values = items
                default: values = [value]
                }
                for item in values {
                    guard case let .string(text) = item else { throw BuiltinError.operand(1, "object of strings", item) }
                    parts.append(queryEscape(name) + "=" + queryEscape(text))
                }
            }
            return .string(parts.joined(separator: "&"))
        },
        "urlquery.decode_object": fixed(1) { args in
            var members: [String: [Value]] = [:]
            for pair in try args.string(0).split(separator: "&") where !pair.isEmpty {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let decode = { (s: Substring) in String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
                members[decode(parts[0]), default: []].append(.string(parts.count > 1 ? decode(parts[1]) : ""))
            }
            return .makeObject(members.map { (key: Value.string($0.key), value: Value.array($0.value)) })
        },
    ]

    /// object.subset: every key of `sub` is in `sup` with a value that is itself a subset.
    static func isSubset(_ sub: Value, of sup: Value) -> Bool {
        switch (sub, sup) {
        case let (.object(a), .object):
            return a.allSatisfy { pair in sup[pair.key].map { isSubset(pair.value, of: $0) } ?? false }
        case let (.set(a), .set(b)):
            return Set(a).isSubset(of: Set(b))
        case let (.array(a), .array(b)):
            guard !a.isEmpty else { return true }
            guard a.count <= b.count else { return false }
            return (0...(b.count - a.count)).contains { Array(b[$0..<$0 + a.count]) == a }
        default:
            return sub == sup
        }
    }
}

extension Builtins {
    /// Hex HMAC of operand 1 keyed by operand 2, as crypto.hmac.* answer.
    static func hmac<H: HashFunction>(_ hash: H.Type, _ args: [Value]) throws -> String {
        let mac = HMAC<H>.authenticationCode(for: Data(try args.string(0).utf8), using: SymmetricKey(data: Data(try args.string(1).utf8)))
        return hex(mac)
    }
}
