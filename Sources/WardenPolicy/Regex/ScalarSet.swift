/// A character class: ranges of scalars and named categories, each possibly negated, the
/// whole possibly negated; with case folding, a scalar matches when any of its case forms does.
struct ScalarSet: Sendable, Equatable {
    enum Category: Sendable, Equatable {
        // Perl classes, ASCII as in Go.
        case digit, word, space
        // POSIX classes (ASCII).
        case alnum, alpha, ascii, blank, cntrl, graph, lower, print, punct, upper, xdigit
        /// A Unicode general category, or a group of them (`L` is every letter).
        case unicode([Unicode.GeneralCategory])
        case anyScalar

        init?(posixName name: String) {
            switch name {
            case "alnum": self = .alnum
            case "alpha": self = .alpha
            case "ascii": self = .ascii
            case "blank": self = .blank
            case "cntrl": self = .cntrl
            case "digit": self = .digit
            case "graph": self = .graph
            case "lower": self = .lower
            case "print": self = .print
            case "punct": self = .punct
            case "space": self = .space
            case "upper": self = .upper
            case "word": self = .word
            case "xdigit": self = .xdigit
            default: return nil
            }
        }

        /// `\pL`, `\p{Lu}`, `\p{Any}`; script names are not known to Swift's Unicode tables.
        init?(unicodeName name: String) {
            if name == "Any" {
                self = .anyScalar
                return
            }
            let groups: [String: [Unicode.GeneralCategory]] = [
                "L": [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter],
                "Lu": [.uppercaseLetter], "Ll": [.lowercaseLetter], "Lt": [.titlecaseLetter], "Lm": [.modifierLetter],
                "Lo": [.otherLetter],
                "M": [.nonspacingMark, .spacingMark, .enclosingMark], "Mn": [.nonspacingMark], "Mc": [.spacingMark],
                "Me": [.enclosingMark],
                "N": [.decimalNumber, .letterNumber, .otherNumber], "Nd": [.decimalNumber], "Nl": [.letterNumber],
                "No": [.otherNumber],
                "P": [
                    .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
                    .finalPunctuation, .otherPunctuation,
                ],
                "Pc": [.connectorPunctuation], "Pd": [.dashPunctuation], "Ps": [.openPunctuation], "Pe": [.closePunctuation],
                "Pi": [.initialPunctuation], "Pf": [.finalPunctuation], "Po": [.otherPunctuation],
                "S": [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol], "Sm": [.mathSymbol], "Sc": [.currencySymbol],
                "Sk": [.modifierSymbol], "So": [.otherSymbol],
                "Z": [.spaceSeparator, .lineSeparator, .paragraphSeparator], "Zs": [.spaceSeparator], "Zl": [.lineSeparator],
                "Zp": [.paragraphSeparator],
                "C": [.control, .format, .surrogate, .privateUse, .unassigned], "Cc": [.control], "Cf": [.format],
                "Cs": [.surrogate], "Co": [.privateUse], "Cn": [.unassigned],
            ]
            guard let categories = groups[name] else { return nil }
            self = .unicode(categories)
        }

        func contains(_ scalar: Unicode.Scalar) -> Bool {
            let v = scalar.value
            switch self {
            case .digit: return (0x30...0x39).contains(v)
            case .word: return (0x30...0x39).contains(v) || (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v) || v == 0x5F
            case .space: return v == 0x20 || (0x09...0x0D).contains(v)
            case .alnum: return (0x30...0x39).contains(v) || (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v)
            case .alpha: return (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v)
            case .ascii: return v <= 0x7F
            case .blank: return v == 0x20 || v == 0x09
            case .cntrl: return v < 0x20 || v == 0x7F
            case .graph: return (0x21...0x7E).contains(v)
            case .lower: return (0x61...0x7A).contains(v)
            case .print: return (0x20...0x7E).contains(v)
            case .punct:
                return (0x21...0x2F).contains(v) || (0x3A...0x40).contains(v) || (0x5B...0x60).contains(v) || (0x7B...0x7E).contains(v)
            case .upper: return (0x41...0x5A).contains(v)
            case .xdigit: return (0x30...0x39).contains(v) || (0x41...0x46).contains(v) || (0x61...0x66).contains(v)
            case let .unicode(categories): return categories.contains(scalar.properties.generalCategory)
            case .anyScalar: return true
            }
        }
    }

    private var ranges: [ClosedRange<UInt32>] = []
    private var categories: [(category: Category, negated: Bool)] = []
    var negated = false
    var foldCase = false

    init(foldCase: Bool = false) { self.foldCase = foldCase }

    static func == (a: ScalarSet, b: ScalarSet) -> Bool {
        a.ranges == b.ranges && a.negated == b.negated && a.foldCase == b.foldCase
            && a.categories.elementsEqual(b.categories) { $0.category == $1.category && $0.negated == $1.negated }
    }

    mutating func addRange(_ range: ClosedRange<UInt32>) { ranges.append(range) }
    mutating func add(_ category: Category, negated: Bool) { categories.append((category, negated)) }

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        var found = containsExactly(scalar)
        if !found, foldCase { found = Self.caseVariants(of: scalar).contains(where: containsExactly) }
        return found != negated
    }

    private func containsExactly(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return ranges.contains { $0.contains(value) } || categories.contains { $0.category.contains(scalar) != $0.negated }
    }

    /// The other single-scalar case forms of `scalar` (simple case folding, as Go's (?i) uses).
    static func caseVariants(of scalar: Unicode.Scalar) -> [Unicode.Scalar] {
        var variants: [Unicode.Scalar] = []
        for mapping in [scalar.properties.lowercaseMapping, scalar.properties.uppercaseMapping, scalar.properties.titlecaseMapping] {
            let mapped = mapping.unicodeScalars
            if mapped.count == 1, let only = mapped.first, only != scalar, !variants.contains(only) { variants.append(only) }
        }
        return variants
    }
}
