import Foundation

/// Format assertions (opt-in; by default `format` is an annotation, as 2020-12 says).
enum Formats {
    static func check(_ format: String, _ text: String) -> Bool {
        switch format {
        case "date-time":
            return text.range(of: #"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"#, options: .regularExpression)
                != nil
        case "date": return text.range(of: #"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"#, options: .regularExpression) != nil
        case "time": return text.range(of: #"^\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"#, options: .regularExpression) != nil
        case "email": return text.range(of: #"^[^@\s]+@[^@\s]+$"#, options: .regularExpression) != nil
        case "hostname":
            return text.count <= 253
                && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
                    (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                        && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
                }
        case "ipv4":
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            return parts.count == 4
                && parts.allSatisfy { part in
                    !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isNumber) && !(part.count > 1 && part.first == "0")
                        && Int(part)! <= 255
                }
        case "ipv6":
            var address = in6_addr()
            return !text.contains("%") && inet_pton(AF_INET6, text, &address) == 1
        case "uri": return URL(string: text)?.scheme != nil && !text.contains(" ")
        case "uuid":
            return text.range(
                of: #"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"#, options: .regularExpression) != nil
        default: return true
        }
    }
}
