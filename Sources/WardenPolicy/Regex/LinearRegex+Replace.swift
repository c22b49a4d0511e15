extension LinearRegex {
    /// Go's Regexp.ReplaceAllString: every match replaced by `template` with `$1`, `${1}`,
    /// `$name` and `${name}` expanded (`$$` is a dollar); an empty match right after a match
    /// is not replaced, and the search always moves on by at least one scalar.
    func replaceAll(in text: [Unicode.Scalar], template: String, deadline: ContinuousClock.Instant? = nil) throws(LimitExceeded) -> String {
        var out = String.UnicodeScalarView()
        let template = Array(template.unicodeScalars)
        var lastMatchEnd = 0
        var searchPosition = 0
        while searchPosition <= text.count {
            guard let match = try firstMatch(in: text, from: searchPosition, stopAtAny: false, deadline: deadline) else { break }
            let range = match.range
            out.append(contentsOf: text[lastMatchEnd..<range.lowerBound])
            if range.upperBound > lastMatchEnd || range.lowerBound == 0 { expand(template, match, text, into: &out) }
            lastMatchEnd = range.upperBound
            searchPosition = Swift.max(searchPosition + 1, range.upperBound)
        }
        out.append(contentsOf: text[lastMatchEnd...])
        return String(out)
    }

    /// Go's Regexp.Expand of one match.
    private func expand(_ template: [Unicode.Scalar], _ match: Match, _ text: [Unicode.Scalar], into out: inout String.UnicodeScalarView) {
        var index = 0
        while index < template.count {
            let c = template[index]
            guard c == "$" else {
                out.append(c)
                index += 1
                continue
            }
            index += 1
            if index < template.count, template[index] == "$" {
                out.append("$")
                index += 1
                continue
            }
            guard let (name, end) = Self.variable(template, from: index) else {
                out.append("$")  // malformed: the dollar is kept as text
                continue
            }
            index = end
            // A number names a group by index (no leading zero, as in Go); anything else by name.
            let number = name.count > 1 && name.hasPrefix("0") ? nil : Int(name)
            let group = number ?? captureNames.firstIndex(of: name)
            if let group, group < match.groups.count, let range = match.groups[group] { out.append(contentsOf: text[range]) }
        }
    }

    /// `name` or `{name}` at `start`: its text and where the template goes on.
    private static func variable(_ template: [Unicode.Scalar], from start: Int) -> (String, Int)? {
        var index = start
        let braced = index < template.count && template[index] == "{"
        if braced { index += 1 }
        var name = ""
        while index < template.count,
            template[index].properties.isAlphabetic || template[index] == "_" || ("0"..."9").contains(template[index])
        {
            name.unicodeScalars.append(template[index])
            index += 1
        }
        guard !name.isEmpty else { return nil }
        if braced {
            guard index < template.count, template[index] == "}" else { return nil }
            index += 1
        }
        return (name, index)
    }
}
