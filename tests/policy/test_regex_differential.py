"""Warden's regular expressions (its own linear-time RE2 engine) against OPA's (Go's regexp),
on generated patterns and texts nobody chose: regex.match, find_n, split, replace (with
group expansion) and find_all_string_submatch_n must give the same answers, and an invalid
pattern must be undefined in both. Patterns that make a backtracking engine exponential
must answer at once."""

from __future__ import annotations

import json
import random
import subprocess
import time

from test_properties import POLICIES, opa_eval, require_oracle, warden  # noqa: F401

SEED = 20261206
QUERY = "data.regex_diff.result"
MODULE = """\
package regex_diff

import rego.v1

result := {
	"match": regex.match(input.pattern, input.text),
	"find": regex.find_n(input.pattern, input.text, -1),
	"split": regex.split(input.pattern, input.text),
	"replace": regex.replace(input.text, input.pattern, "<$1|${0}>"),
	"submatch": regex.find_all_string_submatch_n(input.pattern, input.text, -1),
}
"""


def atom(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if depth < 3 and roll < 0.15:
        return rng.choice(["(", "(?:", "(?i)(", "(?P<g>"]) + pattern(rng, depth + 1) + ")"
    return rng.choice([
        "a", "b", "c", "A", ".", "[ab]", "[^a]", "[a-c]", "[[:alpha:]]", r"\d", r"\w", r"\s", r"\W", "x", " ", "-", r"\.",
        "^", "$", r"\b", r"\B", r"\pL", r"[\d_]", "é",
    ])


def quantified(rng: random.Random, depth: int) -> str:
    text = atom(rng, depth)
    if text in ("^", "$", r"\b", r"\B"):
        return text
    roll = rng.random()
    if roll < 0.5:
        return text
    quantifier = rng.choice(["*", "+", "?", "{2}", "{0,2}", "{1,}", "{1,3}"])
    return text + quantifier + ("?" if rng.random() < 0.25 else "")


def pattern(rng: random.Random, depth: int = 0) -> str:
    branches = []
    for _ in range(1 if rng.random() < 0.7 else rng.randint(2, 3)):
        branches.append("".join(quantified(rng, depth) for _ in range(rng.randint(1, 4))))
    return "|".join(branches)


def text(rng: random.Random) -> str:
    return "".join(rng.choice("aabbcAB1 _-.xé\n") for _ in range(rng.randint(0, 12)))


def test_regex_builtins_agree_with_opa_on_generated_patterns(tmp_path):
    require_oracle()
    rng = random.Random(SEED)
    inputs = [{"pattern": pattern(rng), "text": text(rng)} for _ in range(1500)]
    # A few invalid ones too: both must find the result undefined.
    inputs += [{"pattern": p, "text": "abc"} for p in ["(", "a**", "[z-a]", r"\1", "(?<", "x{1001}", "(?z)", r"\p{Nope}"]]
    policy = tmp_path / "regex_diff.rego"
    policy.write_text(MODULE)
    lines = tmp_path / "inputs.jsonl"
    lines.write_text("".join(json.dumps(document) + "\n" for document in inputs))
    ours = subprocess.run(
        [warden(), "policy", "eval", "--data", str(policy), "--inputs", str(lines), QUERY], capture_output=True, text=True, timeout=600
    )
    assert ours.returncode == 0, ours.stderr
    answers = [json.loads(line) for line in ours.stdout.splitlines()]
    assert len(answers) == len(inputs)
    differences = []
    valid = 0
    for document, answer in zip(inputs, answers):
        theirs = opa_eval({policy.name: MODULE}, {}, document, QUERY)
        expected = [r["expressions"][0]["value"] for r in theirs["result"] or []]
        got = [r["expressions"][0]["value"] for r in answer.get("result", [])]
        valid += bool(expected)
        if expected != got:
            differences.append((document, expected, got))
    assert valid > 1200, "the generator must mostly make valid patterns"
    assert not differences, f"{len(differences)} of {len(inputs)} differ; first: {differences[:3]}"


def test_patterns_that_backtrack_exponentially_elsewhere_answer_at_once(tmp_path):
    policy = tmp_path / "redos.rego"
    policy.write_text("package redos\n\nimport rego.v1\n\nx := regex.match(input.pattern, input.text)\n")
    hostile = [
        {"pattern": "(a+)+$", "text": "a" * 30 + "b"},
        {"pattern": "(a|aa)*c", "text": "a" * 5000},
        {"pattern": "(.*a){20}", "text": "a" * 2000},
        {"pattern": "^(\\w+\\s?)*$", "text": "word " * 400 + "!"},
    ]
    lines = tmp_path / "inputs.jsonl"
    lines.write_text("".join(json.dumps(document) + "\n" for document in hostile))
    started = time.monotonic()
    ours = subprocess.run(
        [warden(), "policy", "eval", "--data", str(policy), "--inputs", str(lines), "data.redos.x"], capture_output=True, text=True, timeout=120
    )
    elapsed = time.monotonic() - started
    assert ours.returncode == 0, ours.stderr
    results = [json.loads(line).get("result", [{}])[0].get("expressions", [{}])[0].get("value") for line in ours.stdout.splitlines()]
    assert results == [False, False, True, False], results
    assert elapsed < 10, f"{elapsed:.1f} s for four patterns that take a backtracking engine minutes"
