/// uri.parse and uri.is_valid: a URL's parts as OPA reports them from Go's `net/url.Parse`
/// (`GoURL`). Empty parts are left out; `raw_path` is the path as written when that differs
/// from its default escaping, else the decoded path. And regex.globs_match, OPA's walk over
/// two globs (`GlobIntersection`).
extension Builtins {
    static let uriBuiltins: [String: Builtin] = [
        "uri.parse": fixed(1) { args in
            let url: GoURL
            do {
                url = try GoURL(parsing: try args.string(0))
            } catch let error as GoURL.ParseError {
                throw BuiltinError(message: error.description)
            }
            var members: [(key: Value, value: Value)] = []
            for (key, value) in [
                ("scheme", url.scheme), ("hostname", url.hostname), ("port", url.port), ("path", url.path),
                ("raw_path", url.rawPath.isEmpty ? url.path : url.rawPath), ("raw_query", url.rawQuery), ("fragment", url.fragment),
            ] where !value.isEmpty {
                members.append((.string(key), .string(value)))
            }
            return .makeObject(members)
        },
        "uri.is_valid": fixed(1) { args in
            let text = try args.string(0)
            return .bool(!text.isEmpty && (try? GoURL(parsing: text)) != nil)
        },
    ]

    static let globBuiltins: [String: Builtin] = [
        "regex.globs_match": Builtin(arity: 2) { args, context in
            do {
                return .bool(try GlobIntersection.nonEmpty(try args.string(0), try args.string(1), deadline: context.deadline))
            } catch let invalid as GlobIntersection.InvalidGlob {
                throw BuiltinError(message: invalid.message)
            }
        }
    ]
}
