extension JSONValue {
    /// Indented JSON text for people to read and edit (`warden contract init`): one object
    /// member per line; arrays that hold only scalars stay on one line.
    public func prettyPrinted(indent: String = "  ") -> String {
        var out = ""
        writePretty(to: &out, level: 0, indent: indent)
        return out + "\n"
    }

    private var isContainer: Bool {
        switch self {
        case .array, .object: true
        default: false
        }
    }

    private func writePretty(to out: inout String, level: Int, indent: String) {
        let inner = String(repeating: indent, count: level + 1)
        let outer = String(repeating: indent, count: level)
        switch self {
        case let .object(members) where !members.isEmpty:
            out += "{\n"
            for (index, member) in members.enumerated() {
                out += inner + JSONValue.string(member.key).serialized() + ": "
                member.value.writePretty(to: &out, level: level + 1, indent: indent)
                out += index + 1 < members.count ? ",\n" : "\n"
            }
            out += outer + "}"
        case let .array(items) where items.contains(where: \.isContainer):
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += inner
                item.writePretty(to: &out, level: level + 1, indent: indent)
                out += index + 1 < items.count ? ",\n" : "\n"
            }
            out += outer + "]"
        case let .array(items):
            out += "[" + items.map { $0.serialized() }.joined(separator: ", ") + "]"
        default:
            out += serialized()
        }
    }
}
