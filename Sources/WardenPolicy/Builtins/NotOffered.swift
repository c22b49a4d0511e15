/// OPA v1 builtins Warden does not offer, each with the reason. A policy that calls one is
/// refused with that reason, never evaluated with a guess. docs/policy.md lists the same
/// names, and a test holds this table, the docs and OPA's capabilities list to each other.
extension Builtins {
    static let notOffered: [String: String] = {
        var reasons: [String: String] = [:]
        func add(_ names: [String], _ reason: String) { for name in names { reasons[name] = reason } }
        add(
            ["http.send", "net.lookup_ip_addr", "providers.aws.sign_req"],
            "policies are evaluated offline: no network calls, no cloud credentials")
        add(["opa.runtime"], "it would expose the process environment and configuration to policies")
        add(
            [
                "io.jwt.encode_sign", "io.jwt.encode_sign_raw", "crypto.parse_private_keys", "crypto.x509.parse_keypair",
                "crypto.x509.parse_rsa_private_key",
            ],
            "private keys never enter policy evaluation")
        add(
            [
                "all", "any", "cast_array", "cast_boolean", "cast_null", "cast_object", "cast_set", "cast_string", "re_match", "set_diff",
                "net.cidr_overlap",
            ],
            "deprecated: Rego v1 refuses it (use the builtin that replaced it)")
        add(["internal.print", "internal.template_string", "internal.test_case"], "an internal of OPA's compiler, not callable")
        add(
            [
                "graphql.is_valid", "graphql.parse", "graphql.parse_and_verify", "graphql.parse_query", "graphql.parse_schema",
                "graphql.schema_is_valid",
            ],
            "Warden serves no GraphQL: nothing a serving policy needs to parse")
        add(
            ["rego.metadata.chain", "rego.metadata.rule", "rego.parse_module"],
            "Warden does not read METADATA annotations or parse Rego at run time")
        add(
            [
                "crypto.x509.parse_certificates", "crypto.x509.parse_and_verify_certificates",
                "crypto.x509.parse_and_verify_certificates_with_options", "crypto.x509.parse_certificate_request",
            ],
            "OPA answers Go's x509.Certificate structure as encoding/json prints it (raw DER in base64, Go's integer enums, "
                + "OIDs as integer arrays); Warden's policies see the peer as its verified SPIFFE ID, the chain being checked by mTLS first"
        )
        add(
            ["strings.render_template"],
            "it runs Go's text/template language, a second interpreter in the policy engine that no gate or kill switch needs; "
                + "use sprintf and concat")
        return reasons
    }()
}
