/// A position in policy text, for error messages (1-based, as OPA reports them).
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int

    public var description: String { "\(file):\(line):\(column)" }
}

/// Why a policy cannot be used: a syntax or compile error with its location, or an
/// evaluation error (conflicts, builtin errors in strict mode, limits).
public struct PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case parse = "rego_parse_error"
        case compile = "rego_compile_error"
        case typeError = "rego_type_error"
        case unsafeVariable = "rego_unsafe_var_error"
        case recursion = "rego_recursion_error"
        case conflict = "eval_conflict_error"
        case builtin = "eval_builtin_error"
        case typeMismatch = "eval_type_error"
        case limit = "eval_limit_error"
        case undefined = "eval_undefined_error"
    }

    public let code: Code
    public let message: String
    public let location: SourceLocation?

    public init(_ code: Code, _ message: String, at location: SourceLocation? = nil) {
        self.code = code
        self.message = message
        self.location = location
    }

    public var description: String {
        if let location { return "\(location): \(code.rawValue): \(message)" }
        return "\(code.rawValue): \(message)"
    }
}

struct Token: Equatable {
    enum Kind: Equatable {
        case identifier(String)
        case string(String)
        case number(String)
        case symbol(String)
        case newline
        case end
    }

    let kind: Kind
    let location: SourceLocation
    /// True when whitespace came right before this token (`f (x)` vs `f(x)`, `a [1]` vs `a[1]`).
    let spaceBefore: Bool
}
