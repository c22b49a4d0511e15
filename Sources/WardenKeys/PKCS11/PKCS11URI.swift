import WardenTrust

/// An RFC 7512 PKCS#11 URI naming a key: `pkcs11:token=…;object=…;id=%01?module-path=…&pin-source=file:…`.
/// Path attributes pick the token and object, query attributes the module and the PIN. Unknown
/// standard attributes are refused: a typo must not widen the search to another key.
public struct PKCS11URI: Sendable, Equatable {
    public var token: String?
    public var manufacturer: String?
    public var model: String?
    public var serial: String?
    public var slotID: UInt?
    public var object: String?
    /// CKA_ID, the raw bytes (`id=%01%02`).
    public var id: [UInt8]?
    /// `type=private|public|cert`: which object class the URI names, when it says.
    public var type: String?
    public var modulePath: String?
    public var moduleName: String?
    /// `pin-source=file:/path` or an absolute path: a file holding the user PIN.
    public var pinSource: String?

    private static let pathAttributes: Set<String> = [
        "token", "manufacturer", "model", "serial", "slot-id", "object", "id", "type",
        "library-manufacturer", "library-description", "library-version", "slot-description", "slot-manufacturer",
    ]
    private static let queryAttributes: Set<String> = ["module-path", "module-name", "pin-source", "pin-value"]

    public init(parsing text: String) throws(TrustFailure) {
        guard text.hasPrefix("pkcs11:") else { throw Self.failure("must start with pkcs11:") }
        let body = text.dropFirst("pkcs11:".count)
        let parts = body.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? ""
        let query = parts.count > 1 ? String(parts[1]) : ""
        var seen: Set<String> = []
        for (name, value) in try Self.attributes(path, separator: ";", allowed: Self.pathAttributes, seen: &seen) {
            switch name {
            case "token": token = try Self.decodedText(value, name)
            case "manufacturer": manufacturer = try Self.decodedText(value, name)
            case "model": model = try Self.decodedText(value, name)
            case "serial": serial = try Self.decodedText(value, name)
            case "object": object = try Self.decodedText(value, name)
            case "id": id = try Self.decoded(value, name)
            case "type":
                let kind = try Self.decodedText(value, name)
                guard ["private", "public", "cert"].contains(kind) else { throw Self.failure("type=\(kind): use private, public or cert") }
                type = kind
            case "slot-id":
                guard let slot = UInt(try Self.decodedText(value, name)), slot <= UInt(UInt32.max) else {
                    throw Self.failure("slot-id must be a decimal number below 2^32")
                }
                slotID = slot
            default: break  // library-* and slot-* narrow nothing Warden searches by
            }
        }
        for (name, value) in try Self.attributes(query, separator: "&", allowed: Self.queryAttributes, seen: &seen) {
            switch name {
            case "module-path":
                let path = try Self.decodedText(value, name)
                guard path.hasPrefix("/") else { throw Self.failure("module-path must be absolute") }
                modulePath = path
            case "module-name": moduleName = try Self.decodedText(value, name)
            case "pin-source":
                let source = try Self.decodedText(value, name)
                let file = source.hasPrefix("file:") ? String(source.dropFirst("file:".count)) : source
                guard file.hasPrefix("/") else { throw Self.failure("pin-source must be file:/absolute/path") }
                pinSource = file
            default:
                // A PIN in the URI ends up in shell history, process lists and CI logs.
                throw Self.failure("pin-value is refused: put the PIN in a file and name it with pin-source=file:/path")
            }
        }
        guard object != nil || id != nil else { throw Self.failure("name the key with object= (its label) or id= (its CKA_ID)") }
        guard modulePath != nil || moduleName != nil else {
            throw Self.failure("name the PKCS#11 module with module-path=/path/to/module.so or module-name=NAME")
        }
    }

    /// Where the key is, for messages: never the PIN file's contents, and no query at all.
    public var location: String {
        var parts: [String] = []
        if let token { parts.append("token \"\(token)\"") }
        if let slotID { parts.append("slot \(slotID)") }
        if let object { parts.append("object \"\(object)\"") }
        if let id { parts.append("id \(Hex.encode(id))") }
        return "PKCS#11 " + parts.joined(separator: ", ")
    }

    private static func attributes(
        _ text: String, separator: Character, allowed: Set<String>, seen: inout Set<String>
    ) throws(TrustFailure) -> [(String, Substring)] {
        var result: [(String, Substring)] = []
        for pair in text.split(separator: separator, omittingEmptySubsequences: true) {
            guard let equals = pair.firstIndex(of: "=") else { throw failure("attribute \(pair) has no value") }
            let name = String(pair[..<equals])
            guard allowed.contains(name) || name.hasPrefix("x-") else {
                throw failure("unknown attribute \(name) (known: \(allowed.sorted().joined(separator: ", ")))")
            }
            guard seen.insert(name).inserted else { throw failure("attribute \(name) appears twice") }
            result.append((name, pair[pair.index(after: equals)...]))
        }
        return result
    }

    /// Percent-decodes `value` to bytes (RFC 3986); a stray `%` is an error, not a literal.
    static func decoded(_ value: Substring, _ name: String) throws(TrustFailure) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = value.utf8.startIndex
        let utf8 = value.utf8
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let high = utf8.index(after: index)
                guard high != utf8.endIndex, utf8.index(after: high) != utf8.endIndex,
                    let decoded = Hex.decode(String(decoding: [utf8[high], utf8[utf8.index(after: high)]], as: UTF8.self))
                else { throw failure("\(name): a % must be followed by two hex digits") }
                bytes += decoded
                index = utf8.index(high, offsetBy: 2)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return bytes
    }

    private static func decodedText(_ value: Substring, _ name: String) throws(TrustFailure) -> String {
        guard let text = String(validating: try decoded(value, name), as: UTF8.self) else { throw failure("\(name) is not UTF-8") }
        return text
    }

    private static func failure(_ detail: String) -> TrustFailure {
        TrustFailure(.malformedKey, "PKCS#11 URI: \(detail)")
    }
}
