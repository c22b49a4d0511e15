/// Every builtin Warden's Rego evaluator offers, by name.
enum Builtins {
    static let table: [String: Builtin] = {
        var table: [String: Builtin] = [:]
        for group in [
            numberBuiltins, aggregateBuiltins, stringBuiltins, regexBuiltins, collectionBuiltins, typeBuiltins, encodingBuiltins,
            timeBuiltins, miscBuiltins, moreBuiltins, documentBuiltins, templateBuiltins, jsonPatchBuiltins, identifierBuiltins,
            bitsBuiltins, graphBuiltins, formattingBuiltins, jwtDecodeVerify, cidrMerge, uriBuiltins, globBuiltins, yamlBuiltins,
            jsonSchemaBuiltins,
        ] {
            table.merge(group) { first, _ in first }
        }
        return table
    }()

    static func fixed(_ arity: Int, _ body: @escaping @Sendable ([Value]) throws -> Value?) -> Builtin {
        Builtin(arity: arity) { args, _ in try body(args) }
    }

    /// Lowercase hexadecimal, as crypto.*, hex.encode and io.jwt.decode print bytes.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
