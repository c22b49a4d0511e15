/// A header value's token as HTTP compares it: optional whitespace (space, tab: RFC 9110 OWS)
/// trimmed, lowercased. Without Foundation's Unicode whitespace set, which cost more than
/// the rest of the header checks on the inference path.
enum HeaderToken {
    static func normalized(_ text: Substring) -> String {
        let isOWS: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isOWS($0) }), let last = text.lastIndex(where: { !isOWS($0) }) else { return "" }
        return text[first...last].lowercased()
    }

    /// The media type of a Content-Type value (`application/json; charset=utf-8` → `application/json`).
    static func mediaType(_ contentType: String) -> String {
        normalized(contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0])
    }
}
