"""Writes Sources/WardenSchema/MetaSchemas/meta-schemas.json: the official JSON Schema
meta-schemas Warden builds in (draft 2020-12 and 2019-09 with their vocabulary meta-schemas,
and draft-07), keyed by their `$id`, as published in PyPI's `jsonschema-specifications`.

Run once after changing the pinned version, and commit what it writes; the build embeds the
file, so `$ref` and `$schema` to these URIs resolve offline, never over the network.

    python3 -m venv /tmp/meta && /tmp/meta/bin/pip install jsonschema-specifications==2025.9.1
    /tmp/meta/bin/python scripts/generate/meta_schemas.py
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

PINNED = "2025.9.1"
# Folders of the package, and the files of each that Warden embeds.
DRAFTS = {
    "draft202012": ["metaschema.json"] + [f"vocabularies/{name}" for name in (
        "core", "applicator", "unevaluated", "validation", "meta-data", "format-annotation",
        "format-assertion", "content")],
    "draft201909": ["metaschema.json"] + [f"vocabularies/{name}" for name in (
        "core", "applicator", "validation", "meta-data", "format", "content")],
    "draft7": ["metaschema.json"],
}
OUT = Path(__file__).resolve().parents[2] / "Sources/WardenSchema/MetaSchemas/meta-schemas.json"


def main() -> None:
    from importlib.metadata import version
    if version("jsonschema-specifications") != PINNED:
        raise SystemExit(f"expected jsonschema-specifications {PINNED}, found {version('jsonschema-specifications')}")
    root = resources.files("jsonschema_specifications") / "schemas"
    documents = {}
    for folder, files in DRAFTS.items():
        for name in files:
            document = json.loads((root / folder / name).read_text())
            # Keyed without the empty fragment draft-07 writes in its `$id`.
            documents[document["$id"].rstrip("#")] = document
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(documents, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(documents)} meta-schemas to {OUT.relative_to(OUT.parents[3])}")


if __name__ == "__main__":
    main()
