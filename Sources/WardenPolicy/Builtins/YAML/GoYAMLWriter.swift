import CYaml

/// `yaml.marshal` as OPA does it: the value's JSON text is read back by go-yaml v2 (so number
/// texts resolve as YAML 1.1 scalars again) and written by go-yaml's encoder, a port of
/// libyaml's emitter, which Warden drives with the same events and styles: keys in go-yaml's
/// natural order, strings plain where they read back as strings, double-quoted where they
/// would not, literal blocks for text with line breaks.
enum GoYAMLWriter {
    struct Failure: Error {
        let message: String
    }

    static func yaml(_ value: Value) throws(Failure) -> String {
        let emitter = UnsafeMutablePointer<yaml_emitter_t>.allocate(capacity: 1)
        defer { emitter.deallocate() }
        guard yaml_emitter_initialize(emitter) == 1 else { throw Failure(message: "yaml: out of memory") }
        defer { yaml_emitter_delete(emitter) }
        yaml_emitter_set_unicode(emitter, 1)
        let sink = Sink()
        yaml_emitter_set_output(
            emitter,
            { data, buffer, size in
                guard let data, let buffer else { return 0 }
                Unmanaged<Sink>.fromOpaque(data).takeUnretainedValue().bytes.append(
                    contentsOf: UnsafeBufferPointer(start: buffer, count: size))
                return 1
            }, Unmanaged.passUnretained(sink).toOpaque())
        var writer = Writer(emitter: emitter)
        try writer.emit { event in yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING) }
        try writer.emit { event in yaml_document_start_event_initialize(&event, nil, nil, nil, 1) }
        try writer.value(value)
        try writer.emit { event in yaml_document_end_event_initialize(&event, 1) }
        try writer.emit { event in yaml_stream_end_event_initialize(&event) }
        var text = String(decoding: sink.bytes, as: UTF8.self)
        // libyaml ends a document holding a kept (`|+`) block with `...`; go-yaml's port does not.
        if text.hasSuffix("\n...\n") { text.removeLast(4) }
        return dropIndentAfterSeparators(text)
    }

    /// libyaml indents after a line or paragraph separator that ends a single-quoted scalar;
    /// go-yaml's port does not.
    private static func dropIndentAfterSeparators(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0 == "\u{2028}" || $0 == "\u{2029}" }) else { return text }
        let scalars = Array(text.unicodeScalars)
        var result = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            result.append(scalars[index])
            if scalars[index] == "\u{2028}" || scalars[index] == "\u{2029}" {
                var end = index + 1
                while end < scalars.count, scalars[end] == " " { end += 1 }
                if end < scalars.count, scalars[end] == "'" { index = end - 1 }
            }
            index += 1
        }
        return String(result)
    }

    private final class Sink {
        var bytes: [UInt8] = []
    }

    private struct Writer {
        let emitter: UnsafeMutablePointer<yaml_emitter_t>

        func emit(_ make: (inout yaml_event_t) -> Int32) throws(Failure) {
            var event = yaml_event_t()
            guard make(&event) == 1, yaml_emitter_emit(emitter, &event) == 1 else {
                let problem = emitter.pointee.problem.map { String(cString: $0) } ?? "emitter failed"
                throw Failure(message: "yaml: \(problem)")
            }
        }

        func value(_ value: Value) throws(Failure) {
            switch value {
            case .null: try scalar("null", YAML_PLAIN_SCALAR_STYLE)
            case let .bool(flag): try scalar(flag ? "true" : "false", YAML_PLAIN_SCALAR_STYLE)
            case let .number(number):
                switch GoYAMLScalar.resolve(number.description) {
                case let .int(integer): try scalar(String(integer), YAML_PLAIN_SCALAR_STYLE)
                case let .uint(integer): try scalar(String(integer), YAML_PLAIN_SCALAR_STYLE)
                case let .float(float): try scalar(GoNumbers.yamlFloat(float), YAML_PLAIN_SCALAR_STYLE)
                default: try string(number.description)  // out of float64's range: go-yaml keeps the text
                }
            case let .string(text): try string(try Self.readBack(text))
            case let .array(items), let .set(items):
                try emit { event in yaml_sequence_start_event_initialize(&event, nil, nil, 1, YAML_BLOCK_SEQUENCE_STYLE) }
                for item in items { try self.value(item) }
                try emit { event in yaml_sequence_end_event_initialize(&event) }
            case let .object(pairs):
                var entries: [(key: String, value: Value)] = []
                for (key, item) in pairs {
                    let text: String
                    if case let .string(keyText) = key { text = keyText } else { text = key.description }
                    // A key reads back as an implicit key, which cannot span the line a raw NEL breaks.
                    if text.unicodeScalars.contains("\u{85}") { throw Failure(message: "yaml: line 1: did not find expected ',' or '}'") }
                    entries.append((try Self.readBack(text), item))
                }
                entries.sort { GoYAMLKeyOrder.less(Array($0.key.unicodeScalars), Array($1.key.unicodeScalars)) }
                try emit { event in yaml_mapping_start_event_initialize(&event, nil, nil, 1, YAML_BLOCK_MAPPING_STYLE) }
                for (key, item) in entries {
                    try string(key)
                    try self.value(item)
                }
                try emit { event in yaml_mapping_end_event_initialize(&event) }
            }
        }

        /// go-yaml's `stringv`: a literal block for text with a line break, plain when the text
        /// reads back as the same string, else double quotes.
        private func string(_ text: String) throws(Failure) {
            let style: yaml_scalar_style_t
            if text.contains("\n") {
                style = YAML_LITERAL_SCALAR_STYLE
            } else if case .string = GoYAMLScalar.resolve(text), !GoYAMLScalar.isBase60Float(text) {
                style = YAML_PLAIN_SCALAR_STYLE
            } else {
                style = YAML_DOUBLE_QUOTED_SCALAR_STYLE
            }
            try scalar(text, style)
        }

        private func scalar(_ text: String, _ style: yaml_scalar_style_t) throws(Failure) {
            var bytes = Array(text.utf8)
            let count = bytes.count
            try bytes.withUnsafeMutableBufferPointer { (buffer) throws(Failure) in
                let start = buffer.baseAddress
                try emit { event in yaml_scalar_event_initialize(&event, nil, nil, start, Int32(count), 1, 1, style) }
            }
        }

        /// A string as go-yaml reads it back from OPA's JSON text: characters its reader refuses
        /// are an error, and a raw NEL (U+0085) is a line break that double quotes fold.
        static func readBack(_ text: String) throws(Failure) -> String {
            for scalar in text.unicodeScalars {
                let value = scalar.value
                if value == 0x7F || (0x80...0x9F).contains(value) && value != 0x85 || value == 0xFFFE || value == 0xFFFF {
                    throw Failure(message: "yaml: control characters are not allowed")
                }
            }
            guard text.unicodeScalars.contains("\u{85}") else { return text }
            var result = String.UnicodeScalarView()
            let scalars = Array(text.unicodeScalars)
            var index = 0
            while index < scalars.count {
                // A run of blanks around one or more NELs folds: one break is a space, n are n-1 newlines.
                var end = index
                var breaks = 0
                while end < scalars.count, scalars[end] == " " || scalars[end] == "\t" || scalars[end] == "\u{85}" {
                    if scalars[end] == "\u{85}" { breaks += 1 }
                    end += 1
                }
                if breaks > 0 {
                    result.append(contentsOf: breaks == 1 ? [" "] : Array(repeating: "\n", count: breaks - 1))
                    index = end
                } else if end > index {
                    result.append(contentsOf: scalars[index..<end])
                    index = end
                } else {
                    result.append(scalars[index])
                    index += 1
                }
            }
            return String(result)
        }
    }
}

/// go-yaml v2's key order (`keyList.Less`): letters by code point after everything else, runs
/// of digits by their number, so `a2` comes before `a10`.
enum GoYAMLKeyOrder {
    static func less(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Bool {
        for i in 0..<min(a.count, b.count) where a[i] != b[i] {
            let aLetter = isLetter(a[i])
            let bLetter = isLetter(b[i])
            if aLetter && bLetter { return a[i].value < b[i].value }
            if aLetter || bLetter { return bLetter }
            var aNumber: Int64 = 0
            var bNumber: Int64 = 0
            if a[i] == "0" || b[i] == "0" {
                var j = i - 1
                while j >= 0, isDigit(a[j]) {
                    if a[j] != "0" {
                        aNumber = 1
                        bNumber = 1
                        break
                    }
                    j -= 1
                }
            }
            var aEnd = i
            while aEnd < a.count, isDigit(a[aEnd]) {
                aNumber = aNumber &* 10 &+ (Int64(a[aEnd].value) - 48)
                aEnd += 1
            }
            var bEnd = i
            while bEnd < b.count, isDigit(b[bEnd]) {
                bNumber = bNumber &* 10 &+ (Int64(b[bEnd].value) - 48)
                bEnd += 1
            }
            if aNumber != bNumber { return aNumber < bNumber }
            if aEnd != bEnd { return aEnd < bEnd }
            return a[i].value < b[i].value
        }
        return a.count < b.count
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
        default: false
        }
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.generalCategory == .decimalNumber }
}
