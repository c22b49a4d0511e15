import Foundation
import Synchronization

/// ECMA-262 regular expressions as JSON Schema specifies them, on ICU: constructs ICU reads
/// differently are refused when the schema is compiled, not silently reinterpreted.
enum ECMARegex {
    private static let cache = Mutex<[String: NSRegularExpression]>([:])

    static func compile(_ pattern: String) throws(SchemaError) -> NSRegularExpression {
        if let cached = cache.withLock({ $0[pattern] }) { return cached }
        // Possessive quantifiers, atomic groups, \A \Z \z and POSIX classes are ICU-only.
        for construct in ["(?>", "*+", "++", "?+", "\\A", "\\Z", "\\z", "[[:"] where pattern.contains(construct) {
            throw SchemaError.badSchema("pattern uses \(construct), which is not ECMA-262")
        }
        guard let regex = try? NSRegularExpression(pattern: pattern) else {
            throw SchemaError.badSchema("pattern \(pattern) is not a valid regular expression")
        }
        cache.withLock { if $0.count < 4096 { $0[pattern] = regex } }
        return regex
    }
}
