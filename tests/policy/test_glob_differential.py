"""regex.globs_match (Warden's `GlobIntersection`, a re-creation of the gintersect walk OPA
calls) against OPA on generated glob pairs nobody chose: characters, `.`, sets with ranges and
escapes, `*` and `+`, pairs built to share prefixes and suffixes, and malformed globs. Each
answer must be OPA's, including where the walk is not the exact language intersection
(`a*b*` and `a*b*c*`: false), and in strict mode the same error text."""

from __future__ import annotations

import os
import random

from test_properties import opa_eval, require_oracle, warden_answers

# More on demand: WARDEN_GLOB_FUZZ_CASES=20000 WARDEN_GLOB_FUZZ_SEED=N.
SEED = int(os.environ.get("WARDEN_GLOB_FUZZ_SEED", "20261207"))
CASES = int(os.environ.get("WARDEN_GLOB_FUZZ_CASES", "1500"))
QUERY = "data.glob_diff.result"
MODULE = """\
package glob_diff

import rego.v1

result := regex.globs_match(input.a, input.b)
"""

ATOMS = ["a", "b", "c", ".", "[ab]", "[a-c]", "[b]", "[]", "[c-e]", "\\.", "\\*", "é", "[\\--a]", "[a\\]]"]
BROKEN = ["[", "]", "*", "+", "\\", "[a-", "[-a]", "[a--]", "[c-a]", "a**", "[a-]"]


def glob(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(0, 5)):
        parts.append(rng.choice(ATOMS) + rng.choice(["", "", "*", "+"]))
    text = "".join(parts)
    if rng.random() < 0.06:
        position = rng.randint(0, len(text))
        text = text[:position] + rng.choice(BROKEN) + text[position:]
    return text


def pair(rng: random.Random) -> dict:
    a = glob(rng)
    roll = rng.random()
    if roll < 0.3:
        b = a  # the same glob
    elif roll < 0.6:
        b = glob(rng) + a[len(a) // 2:]  # a shared suffix
    else:
        b = glob(rng)
    return {"a": a, "b": b}


def test_globs_match_agrees_with_opa_on_generated_pairs(tmp_path):
    require_oracle()
    rng = random.Random(SEED)
    inputs = [pair(rng) for _ in range(CASES)]
    answers = warden_answers(tmp_path, "glob_diff", MODULE, QUERY, inputs, strict=True)
    differences, counts = [], {"true": 0, "false": 0, "error": 0}
    for document, answer in zip(inputs, answers):
        theirs = opa_eval({"glob_diff.rego": MODULE}, {}, document, QUERY, strict_builtin_errors=True)
        if theirs.get("error"):
            expected = ("error", theirs["error"]["message"])
        else:
            expected = ("value", [r["expressions"][0]["value"] for r in theirs["result"]])
        if answer.get("errors"):
            got = ("error", answer["errors"][0]["message"])
        else:
            got = ("value", [r["expressions"][0]["value"] for r in answer.get("result", [])])
        counts["error" if expected[0] == "error" else str(expected[1] == [True]).lower()] += 1
        if expected != got:
            differences.append((document, expected, got))
    # Each kind of answer must be well represented, or the test proves little.
    assert min(counts.values()) > CASES // 20, counts
    assert not differences, f"{len(differences)} of {len(inputs)} differ; first: {differences[:4]}"
