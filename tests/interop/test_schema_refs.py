"""`warden schema validate` with `$ref`s to other documents (issue 30, item 3): a contract split
into files, resolved through `--ref FILE` (under its `$id`) and `--ref-base URI=DIR` (a URI
prefix mapped onto a folder), never the network; and the JSON-Schema-Test-Suite's remote-ref
cases (draft 2020-12, `refRemote.json`), read in place from ../shared/suites, through the CLI
with `--ref-base http://localhost:1234/=…/remotes`: every case gets the suite's verdict."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from trust_tools import warden

REPO_ROOT = Path(__file__).resolve().parents[2]


def suite_or_skip() -> Path:
    configured = os.environ.get("WARDEN_SHARED_SUITES")
    candidates = [Path(configured)] if configured else []
    candidates += [folder.parent / "shared" / "suites" for folder in REPO_ROOT.parents]
    candidates.append(Path("/work/shared/suites"))
    found = next((c / "json-schema-test-suite" for c in candidates if (c / "json-schema-test-suite").is_dir()), None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("../shared/suites/json-schema-test-suite is missing, and CI=true requires it")
        pytest.skip("../shared/suites is not on this machine")
    return found


def write(path: Path, value) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))
    return path


def test_a_contract_split_into_files_resolves_offline(tmp_path):
    types = write(tmp_path / "shared" / "types.json", {
        "$id": "https://contracts.example/types.json",
        "$defs": {"age": {"type": "integer", "minimum": 18, "maximum": 120},
                  "plan": {"enum": ["month-to-month", "one-year", "two-year"]}},
    })
    write(tmp_path / "published" / "v1" / "region.json", {"enum": ["eu", "us"]})
    schema = write(tmp_path / "record.json", {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["age", "plan", "region"],
        "properties": {
            "age": {"$ref": "https://contracts.example/types.json#/$defs/age"},
            "plan": {"$ref": "https://contracts.example/types.json#/$defs/plan"},
            "region": {"$ref": "https://schemas.example/v1/region.json"},
        },
    })
    good = write(tmp_path / "good.json", {"age": 30, "plan": "one-year", "region": "eu"})
    bad = write(tmp_path / "bad.json", {"age": 12, "plan": "one-year", "region": "mars"})
    refs = ["--ref", types, "--ref-base", f"https://schemas.example/={tmp_path / 'published'}"]

    ok = warden("schema", "validate", "--schema", schema, *refs, good)
    assert ok.returncode == 0, ok.stderr
    refused = warden("schema", "validate", "--schema", schema, *refs, bad)
    assert refused.returncode == 1, refused.stderr
    report = json.loads(refused.stdout)
    assert {(e["instanceLocation"], e["keyword"]) for e in report["errors"]} == {("/age", "minimum"), ("/region", "enum")}
    assert "mars" not in refused.stdout  # locations and keywords, never values

    # Without the documents the reference dangles: a bad schema (exit 2), never a fetch.
    missing = warden("schema", "validate", "--schema", schema, "--ref", types, good)
    assert missing.returncode == 2 and "schemas.example/v1/region.json" in missing.stderr
    # A malformed --ref-base is refused before anything is read.
    malformed = warden("schema", "validate", "--schema", schema, "--ref-base", f"https://schemas.example={tmp_path}", good)
    assert malformed.returncode == 2 and "must be absolute and end with /" in malformed.stderr


def test_the_suites_remote_refs_through_the_cli(tmp_path):
    suite = suite_or_skip()
    remotes = suite / "remotes"
    groups = json.loads((suite / "draft2020-12" / "refRemote.json").read_text())
    checked = 0
    failures = []
    for index, group in enumerate(groups):
        schema = write(tmp_path / f"group-{index}.json", group["schema"])
        lines = tmp_path / f"group-{index}.jsonl"
        lines.write_text("".join(json.dumps(test["data"]) + "\n" for test in group["tests"]))
        result = warden("schema", "validate", "--schema", schema, "--ref-base", f"http://localhost:1234/={remotes}",
                        "--instances", lines)
        assert result.returncode in (0, 1), f"{group['description']}: {result.stderr}"
        verdicts = [json.loads(line)["valid"] for line in result.stdout.splitlines()]
        for test, verdict in zip(group["tests"], verdicts, strict=True):
            checked += 1
            if verdict != test["valid"]:
                failures.append(f"{group['description']}: {test['description']}")
    print(f"refRemote.json through the CLI: {checked} cases, {len(failures)} disagreements")
    assert checked >= 30
    assert not failures, failures
