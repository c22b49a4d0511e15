"""The official JSON-Schema-Test-Suite through `warden schema validate` (issue 30, item 3):
drafts 2020-12, 2019-09 and 7, every case of each core folder plus the optional files on
identifiers, anchors, unknown keywords, cross-draft references and ECMA-262 regular
expressions, with `--ref-base http://localhost:1234/=…/remotes` and, for draft 7 (whose schemas
carry no `$schema`), `--default-dialect draft-07`. No exceptions list: every case must get the
suite's verdict. The 2020-12 meta-schema cases pass offline because the meta-schemas are built in.
The suite is read in place from ../shared/suites."""

from __future__ import annotations

import json

import pytest

from test_schema_refs import suite_or_skip
from trust_tools import warden

DRAFTS = {"draft2020-12": "2020-12", "draft2019-09": "2019-09", "draft7": "draft-07"}
# Optional files Warden also meets (format assertion and big numbers are not in this list).
OPTIONAL = ["anchor.json", "cross-draft.json", "dependencies-compatibility.json", "ecmascript-regex.json", "id.json",
            "no-schema.json", "non-bmp-regex.json", "refOfUnknownKeyword.json", "unknownKeyword.json"]


def run_folder(suite, folder: str, tmp_path) -> tuple[int, list[str]]:
    root = suite / folder
    files = sorted(p.name for p in root.glob("*.json"))
    files += [f"optional/{name}" for name in OPTIONAL if (root / "optional" / name).exists()]
    remotes = suite / "remotes"
    checked = 0
    failures = []
    for file in files:
        for index, group in enumerate(json.loads((root / file).read_text())):
            schema = tmp_path / f"{file.replace('/', '-')}-{index}.json"
            schema.write_text(json.dumps(group["schema"]))
            lines = schema.with_suffix(".jsonl")
            lines.write_text("".join(json.dumps(test["data"]) + "\n" for test in group["tests"]))
            result = warden("schema", "validate", "--schema", schema, "--default-dialect", DRAFTS[folder],
                            "--ref-base", f"http://localhost:1234/={remotes}", "--instances", lines)
            if result.returncode not in (0, 1):
                checked += len(group["tests"])
                failures += [f"{file}: {group['description']}: {result.stderr.strip()}"]
                continue
            verdicts = [json.loads(line)["valid"] for line in result.stdout.splitlines()]
            for test, verdict in zip(group["tests"], verdicts, strict=True):
                checked += 1
                if verdict != test["valid"]:
                    failures.append(f"{file}: {group['description']}: {test['description']}")
    return checked, failures


@pytest.mark.parametrize("folder", DRAFTS)
def test_every_case_of_the_suite_through_the_cli(folder, tmp_path):
    suite = suite_or_skip()
    checked, failures = run_folder(suite, folder, tmp_path)
    print(f"JSON-Schema-Test-Suite {folder} through the CLI: {checked} cases, {len(failures)} disagreements")
    assert checked >= 900
    assert not failures, "\n".join(failures)
