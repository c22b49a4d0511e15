import Foundation

/// `strings.split_n`, `net.cidr_expand` and `json.marshal_with_options`, as OPA answers them.
extension Builtins {
    static let formattingBuiltins: [String: Builtin] = [
        "strings.split_n": fixed(3) { args in
            let text = try args.string(0)
            let separator = try args.string(1)
            let count = try args.integer(2)
            let parts = separator.isEmpty ? text.map(String.init) : text.components(separatedBy: separator)
            // OPA keeps the first n parts, or for a negative n the last |n|.
            let kept = count >= 0 ? Array(parts.prefix(Int(clamping: count))) : Array(parts.suffix(Int(clamping: count.magnitude)))
            return .array(kept.map { .string($0) })
        },
        "net.cidr_expand": fixed(1) { args in
            let text = try args.string(0)
            guard let cidr = CIDR(text) else { throw BuiltinError(message: "invalid CIDR address: \(text)") }
            let hostBits = cidr.address.count * 8 - cidr.prefix
            guard hostBits <= 16 else {
                throw BuiltinError(message: "\(text) holds more than 65,536 addresses", isLimit: true)
            }
            var network = cidr.address
            for bit in cidr.prefix..<network.count * 8 { network[bit / 8] &= ~(UInt8(0x80) >> UInt8(bit % 8)) }
            var addresses: [Value] = []
            for offset in 0..<(1 << hostBits) {
                var address = network
                var carry = offset
                var index = address.count - 1
                while carry > 0 {
                    address[index] |= UInt8(carry & 0xff)
                    carry >>= 8
                    index -= 1
                }
                addresses.append(.string(CIDR.text(address)))
            }
            return .makeSet(addresses)
        },
        "json.marshal_with_options": fixed(2) { args in
            var pretty: Bool?
            var indent = "\t"
            var prefix = ""
            var customised = false
            for (key, value) in try args.object(1) {
                switch (key, value) {
                case (.string("pretty"), .bool(let flag)): pretty = flag
                case (.string("indent"), .string(let text)):
                    indent = text
                    customised = true
                case (.string("prefix"), .string(let text)):
                    prefix = text
                    customised = true
                default:
                    var error = BuiltinError(message: "operand 2 object contained unknown key \(key)", isTypeError: true)
                    error.isStaticTypeError = false
                    throw error
                }
            }
            guard pretty ?? customised else { return .string(args[0].description) }
            var out = ""
            IndentedJSON.write(args[0], indent: indent, prefix: prefix, depth: 0, into: &out)
            return .string(prefix + out)
        },
    ]
}

/// JSON laid out one member per line, as Go's json.MarshalIndent writes it (with the prefix
/// in front of every line, the first included, as OPA adds it).
enum IndentedJSON {
    static func write(_ value: Value, indent: String, prefix: String, depth: Int, into out: inout String) {
        func newline(_ level: Int) { out += "\n" + prefix + String(repeating: indent, count: level) }
        switch value {
        case let .array(items), let .set(items):
            guard !items.isEmpty else { return out += "[]" }
            out += "["
            for (index, item) in items.enumerated() {
                newline(depth + 1)
                write(item, indent: indent, prefix: prefix, depth: depth + 1, into: &out)
                if index < items.count - 1 { out += "," }
            }
            newline(depth)
            out += "]"
        case let .object(pairs):
            guard !pairs.isEmpty else { return out += "{}" }
            out += "{"
            for (index, pair) in pairs.enumerated() {
                newline(depth + 1)
                let key: String
                if case let .string(text) = pair.key {
                    key = Value.string(text).description
                } else {
                    key = Value.string(pair.key.description).description
                }
                out += key + ": "
                write(pair.value, indent: indent, prefix: prefix, depth: depth + 1, into: &out)
                if index < pairs.count - 1 { out += "," }
            }
            newline(depth)
            out += "}"
        default:
            out += value.description
        }
    }
}
