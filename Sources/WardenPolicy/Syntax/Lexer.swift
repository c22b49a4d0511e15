/// Splits policy text into tokens. Newlines are tokens: they separate body expressions.
struct Lexer {
    private let scalars: [Unicode.Scalar]
    private let file: String
    private var index = 0
    private var line = 1
    private var column = 1

    /// Brackets open at once: refused past this before the parser recurses into them.
    private let maximumNesting: Int

    init(_ text: String, file: String, maximumNesting: Int = .max) {
        scalars = Array(text.unicodeScalars)
        self.file = file
        self.maximumNesting = maximumNesting
    }

    static let symbols = [
        ":=", "==", "!=", "<=", ">=", "{", "}", "[", "]", "(", ")", ".", ",", ";", ":", "|", "&", "+", "-", "*", "/", "%", "=", "<", ">",
    ]

    mutating func tokens() throws(PolicyError) -> [Token] {
        var out: [Token] = []
        var space = false
        var open = 0
        // As Go's scanner under OPA: a byte-order mark may open the text and nowhere else.
        if scalars.first == "\u{FEFF}" { advance() }
        if let misplaced = scalars.dropFirst().firstIndex(of: "\u{FEFF}") {
            let line = scalars[..<misplaced].filter { $0 == "\n" }.count + 1
            throw PolicyError(.parse, "illegal byte-order mark", at: SourceLocation(file: file, line: line, column: 1))
        }
        while index < scalars.count {
            let c = scalars[index]
            if c == " " || c == "\t" || c == "\r" {
                advance()
                space = true
                continue
            }
            if c == "#" {
                while index < scalars.count, scalars[index] != "\n" { advance() }
                continue
            }
            let location = SourceLocation(file: file, line: line, column: column)
            if c == "\n" {
                advance()
                out.append(Token(kind: .newline, location: location, spaceBefore: true))
                space = true
                continue
            }
            if c == "\"" {
                out.append(Token(kind: .string(try quotedString(location)), location: location, spaceBefore: space))
            } else if c == "`" {
                advance()
                var text = ""
                while index < scalars.count, scalars[index] != "`" {
                    text.unicodeScalars.append(scalars[index])
                    advance()
                }
                guard index < scalars.count else { throw PolicyError(.parse, "unterminated raw string", at: location) }
                advance()
                out.append(Token(kind: .string(text), location: location, spaceBefore: space))
            } else if c.properties.isAlphabetic || c == "_" {
                var name = ""
                while index < scalars.count,
                    scalars[index].properties.isAlphabetic || scalars[index] == "_" || ("0"..."9").contains(scalars[index])
                {
                    name.unicodeScalars.append(scalars[index])
                    advance()
                }
                out.append(Token(kind: .identifier(name), location: location, spaceBefore: space))
            } else if ("0"..."9").contains(c) {
                out.append(Token(kind: .number(number()), location: location, spaceBefore: space))
            } else if let symbol = Self.symbols.first(where: { matches($0) }) {
                if symbol == "(" || symbol == "[" || symbol == "{" {
                    open += 1
                    guard open <= maximumNesting else {
                        throw PolicyError(.parse, "brackets nest deeper than \(maximumNesting) levels", at: location)
                    }
                } else if symbol == ")" || symbol == "]" || symbol == "}" {
                    open = max(0, open - 1)
                }
                for _ in symbol.unicodeScalars { advance() }
                out.append(Token(kind: .symbol(symbol), location: location, spaceBefore: space))
            } else {
                throw PolicyError(.parse, "unexpected character \"\(c)\"", at: location)
            }
            space = false
        }
        out.append(Token(kind: .end, location: SourceLocation(file: file, line: line, column: column), spaceBefore: true))
        return out
    }

    private mutating func advance() {
        if scalars[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    private func matches(_ symbol: String) -> Bool {
        var i = index
        for s in symbol.unicodeScalars {
            guard i < scalars.count, scalars[i] == s else { return false }
            i += 1
        }
        return true
    }

    private mutating func number() -> String {
        var text = ""
        func digits() {
            while index < scalars.count, ("0"..."9").contains(scalars[index]) {
                text.unicodeScalars.append(scalars[index])
                advance()
            }
        }
        digits()
        if index + 1 < scalars.count, scalars[index] == ".", ("0"..."9").contains(scalars[index + 1]) {
            text += "."
            advance()
            digits()
        }
        if index < scalars.count, scalars[index] == "e" || scalars[index] == "E" {
            text.unicodeScalars.append(scalars[index])  // as written: OPA prints 1E3 as 1E3
            advance()
            if index < scalars.count, scalars[index] == "+" || scalars[index] == "-" {
                text.unicodeScalars.append(scalars[index])
                advance()
            }
            digits()
        }
        return text
    }

    private mutating func quotedString(_ location: SourceLocation) throws(PolicyError) -> String {
        advance()
        var text = ""
        while index < scalars.count {
            let c = scalars[index]
            if c == "\"" {
                advance()
                return text
            }
            if c == "\n" { break }
            if c == "\\" {
                advance()
                guard index < scalars.count else { break }
                let e = scalars[index]
                advance()
                switch e {
                case "\"": text += "\""
                case "\\": text += "\\"
                case "/": text += "/"
                case "b": text += "\u{08}"
                case "f": text += "\u{0C}"
                case "n": text += "\n"
                case "r": text += "\r"
                case "t": text += "\t"
                case "u":
                    var hex = ""
                    for _ in 0..<4 where index < scalars.count {
                        hex.unicodeScalars.append(scalars[index])
                        advance()
                    }
                    guard let code = UInt32(hex, radix: 16) else { throw PolicyError(.parse, "bad \\u escape", at: location) }
                    if (0xD800..<0xDC00).contains(code), index + 5 < scalars.count, scalars[index] == "\\", scalars[index + 1] == "u" {
                        advance()
                        advance()
                        var low = ""
                        for _ in 0..<4 {
                            low.unicodeScalars.append(scalars[index])
                            advance()
                        }
                        if let lowCode = UInt32(low, radix: 16),
                            let scalar = Unicode.Scalar(0x10000 + ((code - 0xD800) << 10) + (lowCode - 0xDC00))
                        {
                            text.unicodeScalars.append(scalar)
                            continue
                        }
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw PolicyError(.parse, "bad \\u escape", at: location) }
                    text.unicodeScalars.append(scalar)
                default:
                    throw PolicyError(.parse, "unknown escape \\\(e)", at: location)
                }
                continue
            }
            text.unicodeScalars.append(c)
            advance()
        }
        throw PolicyError(.parse, "unterminated string", at: location)
    }
}
