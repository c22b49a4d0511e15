/// StringNormalizer (opset 10): drops stopwords from a [C] or [1, C] string tensor and changes
/// case, as ONNX Runtime does. When every string is dropped the result is one empty string,
/// [1] or [1, 1], not an empty tensor (ORT's documented behaviour).
struct StringNormalizer: Sendable {
    enum CaseChange: String, Sendable {
        case none = "NONE", lower = "LOWER", upper = "UPPER"
    }

    let caseChange: CaseChange
    let caseSensitive: Bool
    /// Stopwords as compared, byte for byte (as C++ compares std::string, so "é" and "e" +
    /// combining acute differ): lowercased when matching ignores case.
    let stopwords: Set<ExactText>

    /// ORT folds case with the C library's wide-character functions in the model's locale;
    /// Warden folds as en_US does, so it refuses models that name another locale.
    static let supportedLocales: Set<String> = ["", "en_US", "en_US.UTF-8", "en_US.utf8", "C", "C.UTF-8"]

    static let factory: KernelFactory = { context in
        try context.requireInputs(1...1)
        try context.requireType(0, in: [.string])
        let action = try context.attributes.string("case_change_action", default: "NONE")
        guard let caseChange = CaseChange(rawValue: action) else {
            throw context.invalid("case_change_action '\(action)' is not NONE, LOWER or UPPER")
        }
        let caseSensitive = try context.attributes.int("is_case_sensitive", default: 0) != 0
        let locale = try context.attributes.string("locale", default: "en_US")
        guard supportedLocales.contains(locale) else {
            throw context.unsupported("locale '\(locale)' (Warden changes case as en_US.UTF-8 does)")
        }
        let words = try context.attributes.strings("stopwords") ?? []
        let normalizer = StringNormalizer(
            caseChange: caseChange, caseSensitive: caseSensitive,
            stopwords: Set((caseSensitive ? words : words.map(ScalarCase.lowercased)).map(ExactText.init)))
        return LoweredNode(outputs: [.tensor(.string)]) { inputs in
            [.tensor(try normalizer.run(try inputs.tensor(0), inputs))]
        }
    }

    func run(_ input: Tensor, _ inputs: KernelInputs) throws -> Tensor {
        guard input.rank == 1 || (input.rank == 2 && input.shape[0] == 1) else {
            throw inputs.fail("input must be [C] or [1, C], got shape \(input.shape)")
        }
        guard input.count > 0 else { throw inputs.fail("input must hold at least one string") }
        let kept = try input.elements(String.self, inputs).filter { text in
            stopwords.isEmpty || !stopwords.contains(ExactText(caseSensitive ? text : ScalarCase.lowercased(text)))
        }
        guard !kept.isEmpty else { return Tensor(shape: input.rank == 1 ? [1] : [1, 1], storage: .string([""])) }
        let changed: [String] =
            switch caseChange {
            case .none: kept
            case .lower: kept.map(ScalarCase.lowercased)
            case .upper: kept.map(ScalarCase.uppercased)
            }
        return Tensor(shape: input.rank == 1 ? [kept.count] : [1, kept.count], storage: .string(changed))
    }
}

/// Case change one scalar at a time, as the C library's `towlower`/`towupper` do: they use
/// Unicode's simple (one-to-one) mappings. Swift exposes the full ones, which agree except
/// where the full mapping is several scalars: there the simple uppercase is the titlecase
/// form when that is one scalar ("ᾳ" to "ᾼ"), and otherwise the scalar itself ("ß").
enum ScalarCase {
    static func lowercased(_ text: String) -> String { map(text, lower: true) }
    static func uppercased(_ text: String) -> String { map(text, lower: false) }

    private static func map(_ text: String, lower: Bool) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if scalar.isASCII {
                // The common case, mapped without Unicode tables.
                let byte = UInt8(scalar.value)
                let shifted = lower ? (65...90).contains(byte) : (97...122).contains(byte)
                bytes.append(shifted ? (lower ? byte + 32 : byte - 32) : byte)
            } else {
                bytes.append(contentsOf: UTF8.encode(mapped(scalar, lower: lower))!)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func mapped(_ scalar: Unicode.Scalar, lower: Bool) -> Unicode.Scalar {
        // U+0130 (I with dot above) has a two-scalar full lowercase, but its simple
        // mapping, which glibc uses, is "i".
        if lower, scalar.value == 0x130 { return "i" }
        let properties = scalar.properties
        let candidates = lower ? [properties.lowercaseMapping] : [properties.uppercaseMapping, properties.titlecaseMapping]
        return candidates.lazy.map(\.unicodeScalars).first { $0.count == 1 }?.first ?? scalar
    }
}

/// A string compared and hashed by its UTF-8 bytes, as ONNX Runtime's C++ compares
/// std::string; Swift's String equality would treat canonically equivalent spellings as equal.
struct ExactText: Hashable, Sendable {
    let text: String

    init(_ text: String) { self.text = text }

    static func == (a: ExactText, b: ExactText) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }

    func hash(into hasher: inout Hasher) {
        var contiguous = text
        contiguous.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
