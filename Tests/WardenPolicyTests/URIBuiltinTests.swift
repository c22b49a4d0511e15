import Testing

@testable import WardenPolicy

/// uri.parse and uri.is_valid on URLs whose answers were taken from OPA v1.20.2 (the oracle):
/// the cases that decide Go's rules. tests/policy/test_uri_differential.py holds the builtins
/// to OPA on generated URLs.
@Suite struct URIBuiltinTests {
    static func parse(_ text: String, strict: Bool = false) throws -> String? {
        let policy = try Policy(modules: [("p.rego", "package p\n\nr := uri.parse(input.u)\n")])
        var options = EvaluationOptions()
        options.strictBuiltinErrors = strict
        return try policy.value(of: ["p", "r"], input: .object([(.string("u"), .string(text))]), options: options)?.description
    }

    @Test(arguments: [
        (
            "https://user:pw@example.com:8443/a/b%20c?q=1&r=a+b#frag",
            #"{"fragment":"frag","hostname":"example.com","path":"/a/b c","port":"8443","raw_path":"/a/b c","raw_query":"q=1&r=a+b","scheme":"https"}"#
        ),
        ("HTTP://EXAMPLE.com/%2Fa", #"{"hostname":"EXAMPLE.com","path":"//a","raw_path":"/%2Fa","scheme":"http"}"#),
        ("http://[fe80::1%25en0]:8/", #"{"hostname":"fe80::1%en0","path":"/","port":"8","raw_path":"/","scheme":"http"}"#),
        ("mailto:x@y", #"{"scheme":"mailto"}"#),
        ("ws://::1", #"{"hostname":":","port":"1","scheme":"ws"}"#),
        ("http://x/#a\tb", #"{"fragment":"a\tb","hostname":"x","path":"/","raw_path":"/","scheme":"http"}"#),
        ("", "{}"),
    ])
    func partsAreOPAs(_ url: String, _ expected: String) throws {
        #expect(try Self.parse(url) == Value.parse(json: expected)?.description)
    }

    @Test(arguments: [
        ("http://x/%zz", #"uri.parse: parse "http://x/%zz": invalid URL escape "%zz""#),
        ("http://::1/", #"uri.parse: parse "http://::1/": invalid port "::1" after host"#),
        ("http://a[b]/", #"uri.parse: parse "http://a[b]/": invalid IP-literal"#),
        ("http://[1.2.3.4]/", #"uri.parse: parse "http://[1.2.3.4]/": invalid IP-literal"#),
        ("http://[::1%25]/", #"uri.parse: parse "http://[::1%25]/": invalid host: ParseAddr("::1%"): zone must be a non-empty string"#),
        ("http://h/a\tb", #"uri.parse: parse "http://h/a\tb": net/url: invalid control character in URL"#),
        ("1http://x", #"uri.parse: parse "1http://x": first path segment in URL cannot contain colon"#),
    ])
    func refusalsCarryGoTexts(_ url: String, _ message: String) throws {
        #expect(try Self.parse(url) == nil)
        #expect {
            _ = try Self.parse(url, strict: true)
        } throws: { error in
            "\(error)".contains(message)
        }
    }
}
