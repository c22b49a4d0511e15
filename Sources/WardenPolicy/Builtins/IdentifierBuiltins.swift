import Foundation

/// `uuid.parse`, and the two random builtins OPA offers: `uuid.rfc4122` and `rand.intn`. A
/// random answer is remembered for the evaluation, so the same call gives the same value
/// within one query, as in OPA.
extension Builtins {
    static let identifierBuiltins: [String: Builtin] = [
        "uuid.parse": fixed(1) { args in
            guard let bytes = UUIDText.bytes(try args.string(0)) else { throw BuiltinError(message: "invalid UUID") }
            return UUIDText.describe(bytes)
        },
        "uuid.rfc4122": Builtin(arity: 1) { args, context in
            let key = try args.string(0)
            return context.memo.answer("uuid.rfc4122\u{0}" + key) { .string(UUID().uuidString.lowercased()) }
        },
        "rand.intn": Builtin(arity: 2) { args, context in
            let key = try args.string(0)
            let bound = try args.integer(1)
            // OPA draws from [0, |n|); 0 gives 0.
            guard bound != 0 else { return .integer(0) }
            let limit = bound.magnitude
            return context.memo.answer("rand.intn\u{0}\(key)\u{0}\(bound)") { .integer(Int64(UInt64.random(in: 0..<limit))) }
        },
    ]
}

/// UUIDs as Go's github.com/google/uuid reads them, which OPA uses.
enum UUIDText {
    /// The 16 bytes of a UUID written plainly, as `urn:uuid:…`, in braces, or as 32 hex digits.
    static func bytes(_ text: String) -> [UInt8]? {
        var body = Substring(text)
        if body.count == 45, body.lowercased().hasPrefix("urn:uuid:") { body = body.dropFirst(9) }
        if body.count == 38, body.first == "{", body.last == "}" { body = body.dropFirst().dropLast() }
        let hex: [Character]
        switch body.count {
        case 36:
            let characters = Array(body)
            guard [8, 13, 18, 23].allSatisfy({ characters[$0] == "-" }) else { return nil }
            hex = characters.enumerated().filter { ![8, 13, 18, 23].contains($0.offset) }.map(\.element)
        case 32: hex = Array(body)
        default: return nil
        }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: 32, by: 2) {
            guard let byte = UInt8(String(hex[index...index + 1]), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    static func describe(_ bytes: [UInt8]) -> Value {
        let version = Int64(bytes[6] >> 4)
        var members: [(key: Value, value: Value)] = [
            (.string("version"), .integer(version)), (.string("variant"), .string(variant(bytes[8]))),
        ]
        if version == 1 || version == 2 {
            let low = UInt64(bytes[0]) << 24 | UInt64(bytes[1]) << 16 | UInt64(bytes[2]) << 8 | UInt64(bytes[3])
            let middle = UInt64(bytes[4]) << 8 | UInt64(bytes[5])
            let high = (UInt64(bytes[6]) << 8 | UInt64(bytes[7])) & 0x0fff
            let ticks = Int64(high << 48 | middle << 32 | low)
            // 100 ns ticks since 1582-10-15; Unix nanoseconds, as OPA reports them.
            let unixNanoseconds = (ticks - 0x01B2_1DD2_1381_4000) * 100
            members.append((.string("time"), .integer(unixNanoseconds)))
            members.append((.string("clocksequence"), .integer(Int64(bytes[8] & 0x3f) << 8 | Int64(bytes[9]))))
            members.append((.string("nodeid"), .string(bytes[10...].map { Builtins.hex([$0]) }.joined(separator: "-"))))
            let scope = bytes[10] & 0x02 == 0 ? "global" : "local"
            let cast = bytes[10] & 0x01 == 0 ? "unicast" : "multicast"
            members.append((.string("macvariables"), .string("\(scope):\(cast)")))
            if version == 2 {
                members.append((.string("domain"), .string(domain(bytes[9]))))
                members.append((.string("id"), .integer(Int64(low))))
            }
        }
        return .makeObject(members)
    }

    private static func variant(_ byte: UInt8) -> String {
        switch byte {
        case _ where byte & 0xc0 == 0x80: "RFC4122"
        case _ where byte & 0xe0 == 0xc0: "Microsoft"
        case _ where byte & 0xe0 == 0xe0: "Future"
        default: "Reserved"
        }
    }

    private static func domain(_ byte: UInt8) -> String {
        switch byte {
        case 0: "Person"
        case 1: "Group"
        case 2: "Org"
        default: "Domain\(byte)"
        }
    }
}
