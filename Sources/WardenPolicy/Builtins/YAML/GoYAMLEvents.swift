import CYaml

/// A node of the first YAML document, built from libyaml's events as go-yaml v2 builds it: an
/// anchor names its node from the node's start, so an alias inside it finds it.
final class GoYAMLNode {
    enum Kind {
        case scalar
        case sequence
        case mapping
        case alias(String)
    }

    let kind: Kind
    var text = ""
    var tag: String?
    var isPlain = true
    var children: [GoYAMLNode] = []
    /// For an alias: the anchored node (nil when the anchor is unknown).
    var target: GoYAMLNode?

    init(_ kind: Kind) { self.kind = kind }

    /// The node an alias stands for, or the node itself.
    var resolved: GoYAMLNode { target ?? self }

    /// go-yaml's `isMerge`: a plain untagged `<<`, or any `!!merge`.
    var isMergeKey: Bool {
        guard case .scalar = kind, text == "<<" else { return false }
        return tag == "tag:yaml.org,2002:merge" || isPlain && (tag == nil || tag == "!")
    }
}

/// Reads the first document of a YAML stream with libyaml's event parser and stops there, as
/// go-yaml v2 does: what follows the first document is never parsed.
enum GoYAMLEvents {
    static func firstDocument(_ text: String) throws(GoYAMLReader.Failure) -> GoYAMLNode? {
        // libyaml keeps a pointer to its parser for the input: the parser must not move.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else { throw GoYAMLReader.Failure(message: "yaml: out of memory") }
        defer { yaml_parser_delete(parser) }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { (buffer) throws(GoYAMLReader.Failure) -> GoYAMLNode? in
            yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count)
            var reader = EventReader(parser: parser, input: buffer)
            return try reader.document()
        }
    }

    private struct EventReader {
        let parser: UnsafeMutablePointer<yaml_parser_t>
        let input: UnsafeBufferPointer<UInt8>
        var anchors: [String: GoYAMLNode] = [:]

        /// The next event's data, copied out of libyaml's buffers.
        enum Event {
            case streamEnd
            case documentStart(version: (Int32, Int32)?)
            case documentEnd
            case scalar(text: String, tag: String?, anchor: String?, plain: Bool)
            case sequenceStart(anchor: String?)
            case sequenceEnd
            case mappingStart(anchor: String?)
            case mappingEnd
            case alias(String)
            case other
        }

        mutating func next() throws(GoYAMLReader.Failure) -> Event {
            var event = yaml_event_t()
            guard yaml_parser_parse(parser, &event) == 1 else { throw failure() }
            defer { yaml_event_delete(&event) }
            switch event.type {
            case YAML_STREAM_END_EVENT: return .streamEnd
            case YAML_DOCUMENT_START_EVENT:
                let directive = event.data.document_start.version_directive
                return .documentStart(version: directive.map { ($0.pointee.major, $0.pointee.minor) })
            case YAML_DOCUMENT_END_EVENT: return .documentEnd
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                if scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE, Self.hasSlashEscape(input, event.start_mark.index, event.end_mark.index)
                {
                    throw GoYAMLReader.Failure(message: "yaml: found unknown escape character")
                }
                let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                return .scalar(
                    text: text, tag: Self.string(scalar.tag), anchor: Self.string(scalar.anchor),
                    plain: scalar.style == YAML_PLAIN_SCALAR_STYLE)
            case YAML_SEQUENCE_START_EVENT: return .sequenceStart(anchor: Self.string(event.data.sequence_start.anchor))
            case YAML_SEQUENCE_END_EVENT: return .sequenceEnd
            case YAML_MAPPING_START_EVENT: return .mappingStart(anchor: Self.string(event.data.mapping_start.anchor))
            case YAML_MAPPING_END_EVENT: return .mappingEnd
            case YAML_ALIAS_EVENT: return .alias(Self.string(event.data.alias.anchor) ?? "")
            default: return .other
            }
        }

        /// go-yaml's scanner knows no `\/` escape (libyaml's does).
        private static func hasSlashEscape(_ input: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
            var index = start
            while index + 1 < min(end, input.count) {
                if input[index] == UInt8(ascii: "\\") {
                    if input[index + 1] == UInt8(ascii: "/") { return true }
                    index += 2
                } else {
                    index += 1
                }
            }
            return false
        }

        private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        }

        /// go-yaml's error text: `yaml: line N: problem`, where N is libyaml's zero-based line,
        /// plus one for scanner errors, and no line on the first.
        private func failure() -> GoYAMLReader.Failure {
            let state = parser.pointee
            let problem = state.problem.map { String(cString: $0) } ?? "unknown error"
            if state.error == YAML_READER_ERROR { return GoYAMLReader.Failure(message: "yaml: \(problem)") }
            let line = Int(state.problem_mark.line) + (state.error == YAML_SCANNER_ERROR ? 1 : 0)
            return GoYAMLReader.Failure(message: state.problem_mark.line == 0 ? "yaml: \(problem)" : "yaml: line \(line): \(problem)")
        }

        mutating func document() throws(GoYAMLReader.Failure) -> GoYAMLNode? {
            guard case .other = try next() else { return nil }  // stream start
            switch try next() {
            case let .documentStart(version):
                if let version, version != (1, 1) { throw GoYAMLReader.Failure(message: "yaml: found incompatible YAML document") }
            default: return nil
            }
            let root = try node(try next())
            _ = try next()  // document end: libyaml reads the next token, whose errors count
            return root
        }

        private mutating func node(_ event: Event) throws(GoYAMLReader.Failure) -> GoYAMLNode {
            switch event {
            case let .alias(name):
                let alias = GoYAMLNode(.alias(name))
                guard let target = anchors[name] else { throw GoYAMLReader.Failure(message: "yaml: unknown anchor '\(name)' referenced") }
                alias.target = target
                return alias
            case let .scalar(text, tag, anchor, plain):
                let scalar = GoYAMLNode(.scalar)
                scalar.text = text
                scalar.tag = tag
                scalar.isPlain = plain
                if let anchor { anchors[anchor] = scalar }
                return scalar
            case let .sequenceStart(anchor), let .mappingStart(anchor):
                let isSequence = if case .sequenceStart = event { true } else { false }
                let collection = GoYAMLNode(isSequence ? .sequence : .mapping)
                if let anchor { anchors[anchor] = collection }
                while true {
                    let child = try next()
                    switch child {
                    case .sequenceEnd, .mappingEnd: return collection
                    default: collection.children.append(try node(child))
                    }
                }
            default: throw GoYAMLReader.Failure(message: "yaml: did not find expected node content")
            }
        }
    }
}
