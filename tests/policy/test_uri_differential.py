"""uri.parse and uri.is_valid (Warden's reading of Go's net/url.Parse) against OPA, on generated
URLs nobody chose: schemes, user info, hosts (names, IPv4, bracketed IPv6 with zones, bad
literals), ports, paths with good and bad escapes, queries and fragments, then mutated by
inserting, deleting and swapping bytes from a set that stresses the parser (control bytes,
brackets, colons, percent signs, non-ASCII). Each answer must be OPA's: the parts, undefined
for a URL Go refuses, and in strict mode the same error text."""

from __future__ import annotations

import os
import random

from test_properties import opa_eval, require_oracle, warden_answers

# More on demand: WARDEN_URI_FUZZ_CASES=20000 WARDEN_URI_FUZZ_SEED=N.
SEED = int(os.environ.get("WARDEN_URI_FUZZ_SEED", "20261207"))
CASES = int(os.environ.get("WARDEN_URI_FUZZ_CASES", "1500"))
QUERY = "data.uri_diff"
MODULE = """\
package uri_diff

import rego.v1

parsed := uri.parse(input.u)

valid := uri.is_valid(input.u)
"""

SCHEMES = ["http", "https", "HTTP", "HtTp+x-y.z", "file", "mailto", "urn", "x", "1a", "", "a_b", "git+ssh"]
USERS = ["", "", "", "u@", "u:p@", "u%41:p%zz@", "u@@", "us er@", "ü@", "u:p:q@", "%@"]
HOSTS = [
    "example.com", "EXAMPLE.com", "h", "1.2.3.4", "[::1]", "[FE80::A]", "[fe80::1%25en0]", "[fe80::1%en0]", "[::ffff:1.2.3.4]",
    "[1.2.3.4]", "[v1.x]", "[::1", "::1", "a[b]", "a]b", "ho st", "%41", "ex%C3%A9.com", "é.com", "", "h_1", "h!$&'()*+,;=",
    "[::1%25]", "<h>", "h\"q",
]
PORTS = ["", "", ":80", ":8443", ":", ":99999", ":8a", ":80:80", "::"]
SEGMENTS = ["a", "b%20c", "%2F", "%7e%7E", "%zz", "%4", "é", "a b", "p;q", "~", "x:y", "%ff", "%FF", "*", "", "a?b", "%25"]
QUERIES = ["", "", "?", "?q=1&r=a+b", "?%zz", "?a=%20", "?#", "?x?y"]
FRAGMENTS = ["", "", "#", "#frag", "#a%20b", "#a b", "#%zz", "#c#d", "#!()*", "#%ff"]
NASTY = ["\t", "\n", "\x00", "\x7f", " ", "[", "]", ":", "/", "?", "#", "@", "%", "%2", "%25", "é", "\u00a0", "\\", "\""]


def generated(rng: random.Random) -> str:
    shape = rng.random()
    path = "/".join(rng.choice(SEGMENTS) for _ in range(rng.randint(0, 3)))
    if shape < 0.55:
        scheme = rng.choice(SCHEMES)
        text = (scheme + ":" if scheme else "") + "//" + rng.choice(USERS) + rng.choice(HOSTS) + rng.choice(PORTS)
        text += ("/" + path) if path or rng.random() < 0.5 else ""
    elif shape < 0.7:
        text = rng.choice(SCHEMES) + ":" + rng.choice(["", "/", "//", "///"]) + path
    elif shape < 0.85:
        text = rng.choice(["", "/", "//", "///", "./", "../"]) + path
    else:
        text = rng.choice(["*", ":x", "a:b:c", "1http://x", "", "?q", "#f", "//", "http:x/y"])
    text += rng.choice(QUERIES) + rng.choice(FRAGMENTS)
    # Mutations: a parser's edge is where a well-formed URL stops being one.
    for _ in range(rng.choice([0, 0, 1, 2])):
        position = rng.randint(0, len(text))
        roll = rng.random()
        if roll < 0.6:
            text = text[:position] + rng.choice(NASTY) + text[position:]
        elif roll < 0.8 and text:
            text = text[:position] + text[position + 1:]
        elif len(text) > 1:
            i, j = sorted(rng.sample(range(len(text)), 2))
            text = text[:i] + text[j] + text[i + 1:j] + text[i] + text[j + 1:]
    return text


def test_uri_builtins_agree_with_opa_on_generated_urls(tmp_path):
    require_oracle()
    rng = random.Random(SEED)
    inputs = [{"u": generated(rng)} for _ in range(CASES)]
    answers = warden_answers(tmp_path, "uri_diff", MODULE, QUERY, inputs)
    differences, parsed = [], 0
    for document, answer in zip(inputs, answers):
        theirs = opa_eval({"uri_diff.rego": MODULE}, {}, document, QUERY)
        expected = [r["expressions"][0]["value"] for r in theirs["result"] or []]
        got = [r["expressions"][0]["value"] for r in answer.get("result", [])]
        parsed += bool(expected and "parsed" in expected[0])
        if expected != got:
            differences.append((document, expected, got))
    # Both kinds must be well represented, or the test proves little.
    assert 0.25 < parsed / CASES < 0.93, parsed
    assert not differences, f"{len(differences)} of {len(inputs)} differ; first: {differences[:4]}"


def test_uri_parse_errors_carry_go_texts_in_strict_mode(tmp_path):
    require_oracle()
    rng = random.Random(SEED + 1)
    refused = [document for document in ({"u": generated(rng)} for _ in range(3000))
               if not (opa_eval({"uri_diff.rego": MODULE}, {}, document, "data.uri_diff.valid")["result"] or [{}])[0]
               .get("expressions", [{}])[0].get("value", True)][:200]
    assert len(refused) > 100
    answers = warden_answers(tmp_path, "uri_diff", MODULE, QUERY, refused, strict=True)
    differences = []
    for document, answer in zip(refused, answers):
        theirs = opa_eval({"uri_diff.rego": MODULE}, {}, document, QUERY, strict_builtin_errors=True)
        expected = theirs["error"]["message"] if theirs.get("error") else None
        got = (answer.get("errors") or [{}])[0].get("message")
        if expected != got:
            differences.append((document, expected, got))
    assert not differences, f"{len(differences)} of {len(refused)} differ; first: {differences[:4]}"
