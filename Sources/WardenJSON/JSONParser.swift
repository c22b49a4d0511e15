/// A strict RFC 8259 JSON parser over bytes, bounded in depth, size and string length, so a
/// request body cannot exhaust the stack or memory. Numbers without a fraction or exponent
/// that fit in Int64 stay exact integers; object members keep their order; duplicate keys
/// are refused (they are ambiguous, and a classic way to smuggle values past a validator).
public struct JSONParser {
    static let membersScannedForDuplicates = 16
    public struct Limits: Sendable, Equatable {
        public var maxDepth = 64
        public var maxBytes = 64 << 20
        public var maxStringBytes = 1 << 20
        public var maxMembers = 1 << 22
        /// Reads the bare tokens `NaN`, `Inf` and `Infinity` (each with an optional `-`) as
        /// numbers, as Triton's server does (rapidjson's kParseNanAndInfFlag): tritonclient's
        /// JSON mode sends a missing value as `NaN`. Off by default: everywhere else JSON is strict.
        public var allowsNonFiniteNumbers = false

        public init() {}
    }

    public struct SyntaxError: Error, Equatable, CustomStringConvertible, Sendable {
        public let offset: Int
        public let reason: String
        /// Describes the problem by position only: a message must never echo the payload.
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    public static func parse(_ bytes: some Collection<UInt8>, limits: Limits = Limits()) throws -> JSONValue {
        let array = Array(bytes)
        guard array.count <= limits.maxBytes else {
            throw SyntaxError(offset: 0, reason: "document is \(array.count) bytes, over the limit of \(limits.maxBytes)")
        }
        var parser = JSONParser(bytes: array, limits: limits)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == array.count else { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    public static func parse(_ text: String, limits: Limits = Limits()) throws -> JSONValue {
        try parse(Array(text.utf8), limits: limits)
    }

    private let bytes: [UInt8]
    private let limits: Limits
    private var position = 0
    private var members = 0

    private init(bytes: [UInt8], limits: Limits) {
        self.bytes = bytes
        self.limits = limits
    }

    private func error(_ reason: String) -> SyntaxError { SyntaxError(offset: position, reason: reason) }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth <= limits.maxDepth else { throw error("nesting is deeper than \(limits.maxDepth)") }
        guard position < bytes.count else { throw error("unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "N") where limits.allowsNonFiniteNumbers, UInt8(ascii: "I") where limits.allowsNonFiniteNumbers:
            return .number(try parseNonFinite())
        default: throw error("unexpected character")
        }
    }

    private mutating func expectWord(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count else { throw error("unexpected end of input") }
        let matches = word.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[position + $0] == expected[$0] }
        }
        guard matches else { throw error("invalid literal") }
        position += count
    }

    private mutating func countMember() throws {
        members += 1
        guard members <= limits.maxMembers else { throw error("more than \(limits.maxMembers) values") }
    }

    private mutating func parseArray(depth: Int) throws -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            try countMember()
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard position < bytes.count else { throw error("unterminated array") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return .array(items)
            default: throw error("expected ',' or ']' in array")
            }
        }
    }

    private mutating func parseObject(depth: Int) throws -> JSONValue {
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        // Duplicate names: a scan of the members while they are few (an OIP tensor has five;
        // no hashing, no allocation), a set once they are many (a hostile object's cost stays linear).
        var seen: Set<String>? = nil
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let key = try parseString()
            if seen == nil, members.count >= Self.membersScannedForDuplicates { seen = Set(members.lazy.map(\.key)) }
            let duplicate = seen?.contains(key) ?? members.contains { $0.key == key }
            guard !duplicate else { throw error("duplicate member name") }
            seen?.insert(key)
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected ':'") }
            position += 1
            skipWhitespace()
            try countMember()
            members.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            guard position < bytes.count else { throw error("unterminated object") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return .object(members)
            default: throw error("expected ',' or '}' in object")
            }
        }
    }

    private mutating func parseString() throws -> String {
        position += 1
        let start = position
        // Fast path: no escapes.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                guard position - start <= limits.maxStringBytes else { throw error("string is longer than \(limits.maxStringBytes) bytes") }
                let text = bytes.withUnsafeBufferPointer { UTF8Text.string(UnsafeBufferPointer(rebasing: $0[start..<position])) }
                guard let text else {
                    throw error("string is not valid UTF-8")
                }
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw error("control character in string") }
            position += 1
        }
        var scalars = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            guard scalars.count <= limits.maxStringBytes else { throw error("string is longer than \(limits.maxStringBytes) bytes") }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                guard let text = String(validating: scalars, as: UTF8.self) else { throw error("string is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                position += 1
                guard position < bytes.count else { throw error("unterminated escape") }
                let escaped = bytes[position]
                position += 1
                switch escaped {
                case UInt8(ascii: "\""): scalars.append(0x22)
                case UInt8(ascii: "\\"): scalars.append(0x5C)
                case UInt8(ascii: "/"): scalars.append(0x2F)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard bytes.count - position >= 6, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                        else {
                            throw error("unpaired surrogate")
                        }
                        position += 2
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(code) {
                        throw error("unpaired surrogate")
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("invalid escape") }
                    scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw error("invalid escape")
                }
            default:
                guard byte >= 0x20 else { throw error("control character in string") }
                scalars.append(byte)
                position += 1
            }
        }
        throw error("unterminated string")
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard bytes.count - position >= 4 else { throw error("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// `NaN`, `Inf` or `Infinity` at `position` (the sign, if any, already read).
    private mutating func parseNonFinite() throws -> Double {
        if bytes[position] == UInt8(ascii: "N") {
            try expectWord("NaN")
            return .nan
        }
        try expectWord("Inf")
        if position < bytes.count, bytes[position] == UInt8(ascii: "i") { try expectWord("inity") }
        return .infinity
    }

    private mutating func parseNumber() throws -> JSONValue {
        if limits.allowsNonFiniteNumbers {
            let sign = bytes[position] == UInt8(ascii: "-") ? 1 : 0
            if position + sign < bytes.count, bytes[position + sign] == UInt8(ascii: "N") || bytes[position + sign] == UInt8(ascii: "I") {
                position += sign
                return .number(-(try parseNonFinite()))
            }
        }
        switch Self.number(in: bytes, at: position) {
        case let .number(value, end):
            position = end
            return value
        case let .invalid(reason, at):
            position = at
            throw error(reason)
        }
    }

    /// What `number(in:at:)` found.
    public enum NumberScan {
        case number(JSONValue, end: Int)
        case invalid(String, at: Int)
    }

    /// The finite number at `start` in RFC 8259's grammar, at most 512 bytes: an exact integer
    /// when it has no fraction or exponent and fits Int64, else a Double. Shared with the
    /// one-pass OIP decoder, so both read every number alike.
    public static func number(in bytes: [UInt8], at start: Int) -> NumberScan {
        var position = start
        let digit = UInt8(ascii: "0")...UInt8(ascii: "9")
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count else { return .invalid("invalid number", at: position) }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else if (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(bytes[position]) {
            while position < bytes.count, digit.contains(bytes[position]) { position += 1 }
        } else {
            return .invalid("invalid number", at: position)
        }
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            let digits = position
            while position < bytes.count, digit.contains(bytes[position]) { position += 1 }
            guard position > digits else { return .invalid("invalid number", at: position) }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            let digits = position
            while position < bytes.count, digit.contains(bytes[position]) { position += 1 }
            guard position > digits else { return .invalid("invalid number", at: position) }
        }
        guard position - start <= 512 else { return .invalid("number is too long", at: position) }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if isInteger, let integer = Int64(text) { return .number(.integer(integer), end: position) }
        // A number beyond Double's range would become an infinity, which JSON cannot express.
        guard let double = Double(text), double.isFinite else { return .invalid("number is out of range", at: position) }
        return .number(.number(double), end: position)
    }
}
