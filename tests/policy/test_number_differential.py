"""Rego numbers, Warden against OPA, on generated expressions nobody chose: literals of every
shape (decimals with trailing zeros, 25-digit fractions, 1e-400, 1e400, big integers, -0),
arithmetic, abs/round/ceil/floor, sum/product, comparisons and sorting. Each answer is
compared as the text OPA prints (`json.marshal`), so exactness, rounding and formatting
(`0.3`, `0.33333333333333333334`, `1.2345675e+06`, `1.10`) must all agree."""

from __future__ import annotations

import json
import random
import subprocess

from test_properties import opa_eval, require_oracle, warden

SEED = 20261206
CASES = 1500


def integer(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return str(rng.choice([0, 1, 2, 3, 7, 10, 12, -5, 2**31, -(2**31) - 1, 2**53 + 1, 2**63 - 1, 2**64, 10**25 + 7]))
    digits = rng.randint(1, 30)
    return ("-" if rng.random() < 0.3 else "") + str(rng.randint(10 ** (digits - 1), 10**digits - 1))


def decimal(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 25)))
    point = rng.randint(0, len(digits) - 1)
    whole = digits[:point].lstrip("0") or "0"
    text = f"{whole}.{digits[point:]}" + "0" * rng.choice([0, 0, 1, 3])
    return ("-" if rng.random() < 0.3 else "") + text


def scientific(rng: random.Random) -> str:
    mantissa = str(rng.randint(1, 9))
    if rng.random() < 0.6:
        mantissa += "." + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 20)))
    exponent = rng.choice([rng.randint(-30, 30), rng.randint(-420, 420)])
    return ("-" if rng.random() < 0.2 else "") + f"{mantissa}{rng.choice('eE')}{exponent}"


def literal(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return integer(rng)
    if roll < 0.7:
        return decimal(rng)
    if roll < 0.97:
        return scientific(rng)
    return rng.choice(["-0", "0.0", "-0.0", "0.5", "2.5", "-2.5", "0.49999999999999999999", "1e-400"])


def nonzero_literal(rng: random.Random) -> str:
    while True:
        text = literal(rng)
        if any(c in "123456789" for c in text.split("e")[0].split("E")[0]):
            return text


def parenthesised(text: str) -> str:
    return f"({text})"


def expression(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth >= 2 or roll < 0.3:
        return literal(rng)
    if roll < 0.75:
        op = rng.choice("+-*/")
        right = nonzero_literal(rng) if op == "/" else expression(rng, depth + 1)
        return f"{parenthesised(expression(rng, depth + 1))} {op} {parenthesised(right)}"
    if roll < 0.9:
        return f"{rng.choice(['abs', 'round', 'ceil', 'floor'])}({expression(rng, depth + 1)})"
    items = ", ".join(expression(rng, depth + 1) for _ in range(rng.randint(1, 3)))
    return f"{rng.choice(['sum', 'product'])}([{items}])"


def top_level(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.7:
        return expression(rng)
    if roll < 0.9:
        return f"{parenthesised(expression(rng))} {rng.choice(['<', '<=', '==', '!=', '>', '>='])} {parenthesised(expression(rng))}"
    items = ", ".join(expression(rng, 1) for _ in range(rng.randint(2, 4)))
    return f"{rng.choice(['sort', 'max', 'min'])}([{items}])"


def module(expressions: list[str]) -> str:
    rules = "".join(f"r{i} := json.marshal({text})\n" for i, text in enumerate(expressions))
    return "package numbers\n\nimport rego.v1\n\n" + rules


def test_numbers_print_and_compute_as_opa_on_generated_expressions(tmp_path):
    require_oracle()
    rng = random.Random(SEED)
    expressions = [top_level(rng) for _ in range(CASES)]
    text = module(expressions)
    policy = tmp_path / "numbers.rego"
    policy.write_text(text)
    ours = subprocess.run(
        [warden(), "policy", "eval", "--data", str(policy), "data.numbers"],
        capture_output=True, text=True, timeout=600,
    )
    assert ours.returncode == 0, ours.stderr
    got = json.loads(ours.stdout)["result"][0]["expressions"][0]["value"]
    theirs = opa_eval({policy.name: text}, {}, None, "data.numbers")
    assert theirs["error"] is None, theirs["error"]
    expected = theirs["result"][0]["expressions"][0]["value"]
    assert len(expected) > CASES * 0.95, "almost every expression must be defined in OPA"
    differences = [
        (expressions[int(name[1:])], expected.get(name), got.get(name))
        for name in sorted(set(expected) | set(got), key=lambda n: int(n[1:]))
        if expected.get(name) != got.get(name)
    ]
    assert not differences, f"{len(differences)} of {CASES} differ; first: {differences[:5]}"


def test_literals_beyond_opas_range_are_parse_errors_in_both(tmp_path):
    require_oracle()
    for literal_text, accepted in [("1e30102", True), ("1e30103", False), ("1e-30103", True), ("1e-30104", False), ("1e400000", False)]:
        text = f"package edge\n\nimport rego.v1\n\nx := {literal_text} > 0\n"
        policy = tmp_path / "edge.rego"
        policy.write_text(text)
        ours = subprocess.run([warden(), "policy", "eval", "--data", str(policy), "data.edge.x"], capture_output=True, text=True, timeout=60)
        theirs = opa_eval({policy.name: text}, {}, None, "data.edge.x")
        assert (theirs["error"] is None) == accepted, (literal_text, theirs["error"])
        assert (ours.returncode == 0) == accepted, (literal_text, ours.stdout, ours.stderr)
        if not accepted:
            assert "out of range" in ours.stderr + ours.stdout
