"""Python `jsonschema` as the oracle for Warden's validator (formats off, draft 2020-12).

    jsonschema_oracle.py SCHEMA.json INSTANCES.jsonl   → one line per instance: true/false
"""

from __future__ import annotations

import json
import sys

from jsonschema import Draft202012Validator


def main() -> None:
    schema = json.load(open(sys.argv[1]))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    out = []
    with open(sys.argv[2]) as lines:
        for line in lines:
            if line.strip():
                out.append("true" if validator.is_valid(json.loads(line)) else "false")
    print("\n".join(out))


if __name__ == "__main__":
    main()
