/// JSON strings from their bytes. ASCII — member names, tensor names, most categories — is
/// checked with one pass and copied; other text goes through the stdlib's UTF-8 validation,
/// which runs generically (and showed at 2.5 % of a request's CPU in `perf`).
public enum UTF8Text {
    /// The bytes as a String, or nil when they are not valid UTF-8.
    public static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var isASCII = true
        for byte in bytes where byte >= 0x80 {
            isASCII = false
            break
        }
        return isASCII ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
    }
}
