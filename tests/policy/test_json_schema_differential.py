"""json.match_schema and json.verify_schema (Warden's reading of gojsonschema) against OPA, on
generated schemas and documents nobody chose. Schemas are built from draft-07's keywords (type
names and lists, enum and const of mixed values, numeric limits and multipleOf with decimals,
lengths, RE2 patterns, formats, tuple and schema items, contains, uniqueItems, properties,
required, additionalProperties, patternProperties, propertyNames, dependencies, counts,
allOf/anyOf/oneOf/not/if-then-else, `$ref` to local definitions) under the Hybrid draft or
draft-04/06/07's `$schema`; one schema in six carries one broken keyword. Documents are drawn to
fit the schema, then nudged (a number past its limit, a key dropped or added, a wrong type).
Schemas go in as values and as JSON text. Each answer must be OPA's: valid or not, the errors
(`desc`, `error`, `field`, `type`, compared as a sorted list, since gojsonschema finds some of them
walking Go maps), verify_schema's verdict and message, and in strict mode the same error."""

from __future__ import annotations

import json
import os
import random

from test_properties import Number, dump, opa_eval, require_oracle, warden_answers

# More on demand: WARDEN_SCHEMA_FUZZ_CASES=20000 WARDEN_SCHEMA_FUZZ_SEED=N.
SEED = int(os.environ.get("WARDEN_SCHEMA_FUZZ_SEED", "20261209"))
CASES = int(os.environ.get("WARDEN_SCHEMA_FUZZ_CASES", "1000"))
QUERY = "data.schema_diff"
MODULE = """\
package schema_diff

import rego.v1

# Sorted: gojsonschema finds some errors walking Go maps, in an order that changes between runs.
match := [result[0], sort(result[1])] if {
	case := data.schema_values[input.case]
	result := json.match_schema(json.marshal(case.document), argument(case.schema))
}

verify := json.verify_schema(argument(data.schema_values[input.case].schema))

# The schema as a value or as JSON text: OPA turns both into text for gojsonschema.
argument(schema) := json.marshal(schema) if input.as_text

argument(schema) := schema if not input.as_text
"""


def values_module(cases: dict[str, str]) -> str:
    """Each case's schema and document as a Rego literal, one rule each: a Rego literal keeps a
    number's spelling (1.0, 1E2, 2.50), which Warden's JSON input does not."""
    return "package schema_values\n\n" + "".join(f"{name} := {text}\n\n" for name, text in cases.items())


def canonical(value) -> str:
    """Equal JSON values (1 and 1.0 among them) have equal canonical texts."""
    return json.dumps(json.loads(dump(value), parse_int=float), sort_keys=True)


TYPES = ["null", "boolean", "object", "array", "number", "string", "integer"]
NUMBERS = ["0", "-0", "1", "2", "3", "10", "-7", "1.0", "2.5", "2.50", "0.1", "0.3", "1E2", "1e6", "1e-7", "1.5e300",
           "0.30000000000000004", "9007199254740993", "12345678901234567890123", "-2.5"]
STRINGS = ["", "a", "ab", "abc", "A", "x-1", "é", "日本語", "😀😀", "e\u0301", " ", "a\nb", "\u0000", "\"q\"", "1", "true"]
NAMES = ["a", "b", "c", "x-1", "é", "", "A", "1"]
PATTERNS = ["^a", "b$", "^[a-c]+$", "\\d", "^x-", "^$", "é", "^(a|b)*$", "[[:alpha:]]", "\\p{L}", "^.{2}$", "A|1"]
FORMATS = {
    "date-time": ["2001-12-14T21:59:43.10-05:00", "2001-12-14t21:59:43Z", "2001-12-14 21:59:43Z", "2001-02-30T00:00:00Z", "2001-12-14T21:59:60Z"],
    "date": ["2001-12-14", "2001-13-01", "2000-02-29", "2001-02-29", "01-12-14"],
    "time": ["21:59:43", "21:59:43.10Z", "21:59:43+01:00", "25:00:00", "21:59"],
    "email": ["a@b.c", "a@", "Ä@x.y", "\"a b\"@c.d", "\"\"@b.c", "a@b@c", "A <a@b.c>", "a@[1.2.3.4]", "a..b@c.d"],
    "hostname": ["example.com", "-a.com", "a_b.com", "a" * 64 + ".com", "é.com", "a.", "1.2.3.4"],
    "ipv4": ["1.2.3.4", "256.1.1.1", "01.2.3.4", "1.2.3", "::1", "1.2.3.4 "],
    "ipv6": ["::1", "fe80::1%en0", "1.2.3.4", "::ffff:1.2.3.4", "1::2::3", "1:2:3:4:5:6:7:8:9"],
    "uri": ["http://x.y/z", "x:", "//x", "/a", "http://[::1", "a b:c", "mailto:a@b", "http://x:99999", "http://x/%zz"],
    "uri-reference": ["/a", "http://x", "%zz", "#f", "a b"],
    "uuid": ["123e4567-e89b-12d3-a456-426614174000", "123e4567e89b12d3a456426614174000", "123E4567-E89B-12D3-A456-426614174000", "x"],
    "regex": ["^a+$", "(", "a{2,1}", "(?=a)", "\\p{Greek}", "a**", "(?i)a", "(?P<n>a)", "a{1001}"],
    "json-pointer": ["", "/a/b", "a", "/a~2", "/~0~1"],
    "relative-json-pointer": ["0", "1/a", "0#", "-1"],
    "uri-template": ["http://x/{y}", "{", "x"],
    "idn-hostname": ["例え.jp", "-x"], "iri": ["http://é.x/", "é"], "no-such-format": ["x"],
}
DRAFTS = [None, None, None, "http://json-schema.org/draft-04/schema#", "http://json-schema.org/draft-06/schema#", "http://json-schema.org/draft-07/schema#"]
# Broken keywords, one per schema: with two, which one gojsonschema reports depends on map order.
BROKEN = [
    ("type", "any"), ("type", ["string", "string"]), ("type", 1), ("enum", []), ("enum", [1, 1]), ("enum", "a"),
    ("minLength", -1), ("maxLength", Number("1.0")), ("maxLength", "3"), ("pattern", "("), ("pattern", "(?=a)"),
    ("multipleOf", 0), ("multipleOf", -1), ("minimum", "1"), ("exclusiveMaximum", "x"), ("required", "a"),
    ("required", ["a", "a"]), ("properties", []), ("items", 1), ("additionalProperties", 1), ("allOf", []),
    ("anyOf", {}), ("not", 1), ("format", 1), ("dependencies", {"a": 1}), ("minProperties", -1), ("maxItems", 1.5),
    ("$ref", "#/definitions/missing"), ("$ref", 1), ("uniqueItems", 1), ("contains", 1), ("propertyNames", "a"),
]


def number(rng: random.Random) -> Number:
    return Number(rng.choice(NUMBERS))


def value(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth < 2 and roll < 0.15:
        return {rng.choice(NAMES): value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    if depth < 2 and roll < 0.3:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if roll < 0.6:
        return rng.choice(STRINGS)
    if roll < 0.9:
        return number(rng)
    return rng.choice([True, False, None])


class Schema:
    """One schema: its definitions (refs only point back to earlier ones, so no loop) and at
    most one broken keyword."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.draft = rng.choice(DRAFTS)
        self.definitions: dict = {}
        self.broken_left = rng.random() < 1 / 6

    def root(self):
        rng = self.rng
        for name in rng.sample(["p", "q", "a/b", "~t", "a b"], rng.randint(0, 2)):
            self.definitions[name] = self.schema(1)
        schema = self.schema(0)
        if not isinstance(schema, dict):
            return schema
        if self.definitions:
            schema["definitions"] = self.definitions
        return {"$schema": self.draft, **schema} if self.draft else schema

    def schema(self, depth: int, inside: bool = False):
        """A schema; `inside`: it applies to a part of the document, so a `$ref` to the root
        there cannot loop without reading the document (which crashes OPA)."""
        rng = self.rng
        roll = rng.random()
        if depth > 0 and roll < 0.08 and "draft-04" not in str(self.draft):  # draft 4 has no boolean schemas
            return rng.choice([True, False])
        if depth > 0 and roll < 0.16 and (self.definitions or inside):
            # $ref alone: gojsonschema ignores its siblings.
            return {"$ref": self.reference(inside)}
        schema: dict = {}
        for keyword in rng.sample(KEYWORDS, rng.randint(1, 4 if depth < 2 else 2)):
            keyword(self, schema, depth, inside)
        if self.broken_left and rng.random() < 0.4:
            self.broken_left = False
            name, broken = rng.choice(BROKEN)
            schema = {name: broken} if name == "$ref" else {**schema, name: broken}
        return schema

    def reference(self, inside: bool) -> str:
        if inside and (not self.definitions or self.rng.random() < 0.3):
            return "#"
        name = self.rng.choice(list(self.definitions))
        # A JSON pointer in a URI fragment: ~0 for ~, ~1 for /, and a percent-escaped space.
        return "#/definitions/" + name.replace("~", "~0").replace("/", "~1").replace(" ", self.rng.choice(["%20", " "]))

    def subschemas(self, depth: int, count: int, inside: bool) -> list:
        return [self.schema(depth + 1, inside) for _ in range(count)]

    def annotation(self, schema, depth, inside):
        rng = self.rng
        if rng.random() < 0.5:
            schema[rng.choice(["title", "description"])] = rng.choice(STRINGS)  # another type breaks the schema
        else:
            schema[rng.choice(["default", "examples", "$comment"])] = value(rng, 1)

    def type_(self, schema, depth, inside):
        rng = self.rng
        schema["type"] = rng.choice(TYPES) if rng.random() < 0.6 else rng.sample(TYPES, rng.randint(1, 3))

    def enum(self, schema, depth, inside):
        rng = self.rng
        items = []
        for _ in range(rng.randint(1, 4)):
            item = value(self.rng, 1)
            if canonical(item) not in map(canonical, items):  # unique, or the schema is broken
                items.append(item)
        if rng.random() < 0.7:
            schema["enum"] = items
        else:
            schema["const"] = items[0]

    def numeric(self, schema, depth, inside):
        rng = self.rng
        for name in rng.sample(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"], rng.randint(1, 2)):
            if name == "multipleOf":
                schema[name] = Number(rng.choice(["2", "0.1", "0.5", "2.5", "1e-7", "3", "1.0"]))
            elif name.startswith("exclusive") and ("draft-04" in str(self.draft) or self.draft is None and rng.random() < 0.3):
                # Draft 4's spelling (the Hybrid draft takes either): a flag beside its limit.
                schema[name[9].lower() + name[10:]] = number(rng)
                schema[name] = rng.choice([True, False])
            else:
                schema[name] = number(rng)

    def string(self, schema, depth, inside):
        rng = self.rng
        roll = rng.random()
        if roll < 0.35:
            low = rng.randint(0, 3)
            schema.update({"minLength": low} if rng.random() < 0.5 else {"maxLength": low + rng.randint(0, 2)})
        elif roll < 0.65:
            schema["pattern"] = rng.choice(PATTERNS)
        else:
            schema["format"] = rng.choice(list(FORMATS))

    def array(self, schema, depth, inside):
        rng = self.rng
        roll = rng.random()
        if roll < 0.35:
            schema["items"] = self.schema(depth + 1, True)
        elif roll < 0.6:
            schema["items"] = self.subschemas(depth, rng.randint(1, 3), True)
            if rng.random() < 0.6:
                schema["additionalItems"] = rng.choice([False, True, self.schema(depth + 1, True)])
        elif roll < 0.75:
            schema["contains"] = self.schema(depth + 1, True)
        elif roll < 0.9:
            schema[rng.choice(["minItems", "maxItems"])] = rng.randint(0, 3)
        else:
            schema["uniqueItems"] = rng.random() < 0.8

    def object_(self, schema, depth, inside):
        rng = self.rng
        roll = rng.random()
        if roll < 0.4:
            names = rng.sample(NAMES, rng.randint(1, 3))
            schema["properties"] = {name: self.schema(depth + 1, True) for name in names}
            if rng.random() < 0.6:
                schema["required"] = rng.sample(NAMES, rng.randint(1, 2))
            if rng.random() < 0.4:
                schema["additionalProperties"] = rng.choice([False, self.schema(depth + 1, True)])
        elif roll < 0.55:
            schema["patternProperties"] = {rng.choice(PATTERNS): self.schema(depth + 1, True)}
            schema["additionalProperties"] = rng.choice([False, True])
        elif roll < 0.65:
            schema["propertyNames"] = rng.choice([{"pattern": rng.choice(PATTERNS)}, {"maxLength": 1}, {"enum": ["a", "b"]}, False])
        elif roll < 0.8:
            name = rng.choice(NAMES)
            schema["dependencies"] = {name: rng.sample(NAMES, rng.randint(1, 2)) if rng.random() < 0.5 else self.schema(depth + 1, inside)}
        elif roll < 0.9:
            schema["required"] = rng.sample(NAMES, rng.randint(1, 3))
        else:
            schema[rng.choice(["minProperties", "maxProperties"])] = rng.randint(0, 3)

    def combinator(self, schema, depth, inside):
        rng = self.rng
        roll = rng.random()
        if depth >= 3:
            return
        if roll < 0.6:
            schema[rng.choice(["allOf", "anyOf", "oneOf"])] = self.subschemas(depth, rng.randint(1, 3), inside)
        elif roll < 0.75:
            schema["not"] = self.schema(depth + 1, inside)
        else:
            schema["if"] = self.schema(depth + 1, inside)
            for name in rng.sample(["then", "else"], rng.randint(1, 2)):
                schema[name] = self.schema(depth + 1, inside)


KEYWORDS = [Schema.type_, Schema.type_, Schema.enum, Schema.numeric, Schema.string, Schema.array, Schema.object_,
            Schema.object_, Schema.combinator, Schema.annotation]


def instance(rng: random.Random, schema, definitions: dict, depth: int = 0):
    """A document meant to fit `schema` (it often does not: the generator guesses)."""
    if not isinstance(schema, dict) or depth > 4 or rng.random() < 0.1:
        return value(rng, depth)
    if "$ref" in schema:
        return instance(rng, definitions.get(str(schema["$ref"]).rsplit("/", 1)[-1], {}), definitions, depth + 1)
    if "enum" in schema and isinstance(schema["enum"], list) and schema["enum"] and rng.random() < 0.7:
        return rng.choice(schema["enum"])
    if "const" in schema and rng.random() < 0.7:
        return schema["const"]
    for name in ("allOf", "anyOf", "oneOf"):
        if isinstance(schema.get(name), list) and schema[name] and rng.random() < 0.5:
            return instance(rng, rng.choice(schema[name]), definitions, depth + 1)
    kinds = schema.get("type") if isinstance(schema.get("type"), list) else [schema.get("type")]
    kind = rng.choice(kinds) if kinds and kinds[0] else guess_type(schema)
    if kind == "object":
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        required = schema.get("required") if isinstance(schema.get("required"), list) else []
        names = [n for n in dict.fromkeys([*properties, *required]) if rng.random() < 0.8] + rng.sample(NAMES, rng.randint(0, 1))
        return {name: instance(rng, properties.get(name, {}), definitions, depth + 1) for name in names}
    if kind == "array":
        items = schema.get("items", {})
        count = rng.randint(0, 4)
        if isinstance(items, list):
            return [instance(rng, items[i] if i < len(items) else schema.get("additionalItems", {}), definitions, depth + 1) for i in range(count)]
        array = [instance(rng, items, definitions, depth + 1) for _ in range(count)]
        return array + array[:1] if schema.get("uniqueItems") and rng.random() < 0.3 else array
    if kind in ("number", "integer"):
        limits = [schema[n] for n in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf") if isinstance(schema.get(n), Number)]
        if limits and rng.random() < 0.7:
            base = float(rng.choice(limits))
            return Number(repr(base + rng.choice([0, 0, 1, -1, 0.5, -0.5, 2 * base])) if abs(base) < 1e15 else str(rng.choice(limits)))
        return number(rng)
    if kind == "string":
        if schema.get("format") in FORMATS and rng.random() < 0.8:
            return rng.choice(FORMATS[schema["format"]])
        return rng.choice(STRINGS + ["".join(rng.choice(STRINGS) for _ in range(3))])
    return value(rng, depth)


def guess_type(schema: dict) -> str:
    if any(k in schema for k in ("properties", "required", "patternProperties", "propertyNames", "dependencies", "minProperties")):
        return "object"
    if any(k in schema for k in ("items", "contains", "minItems", "maxItems", "uniqueItems")):
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
        return "number"
    return "string" if any(k in schema for k in ("minLength", "maxLength", "pattern", "format")) else "any"


def nudged(rng: random.Random, document):
    """A near miss: one leaf, key or item changed somewhere."""
    if isinstance(document, dict) and document and rng.random() < 0.6:
        key = rng.choice(list(document))
        roll = rng.random()
        if roll < 0.3:
            return {k: v for k, v in document.items() if k != key}
        if roll < 0.5:
            return {**document, rng.choice(NAMES + ["zz"]): value(rng, 2)}
        return {**document, key: nudged(rng, document[key])}
    if isinstance(document, list) and document and rng.random() < 0.6:
        i = rng.randrange(len(document))
        return document[:i] + [nudged(rng, document[i])] + document[i + 1:]
    if isinstance(document, Number) and rng.random() < 0.7:
        if document.lstrip("-").isdigit():
            return Number(str(int(document) + rng.choice([1, -1])))
        return Number(rng.choice([repr(float(document) + 0.5), "-" + document.lstrip("-")]))
    return value(rng, 2)


def generated(rng: random.Random, count: int) -> tuple[dict[str, str], list[dict]]:
    """`count` cases (a schema and a document, as Rego literals) and an input naming each."""
    cases, inputs = {}, []
    for i in range(count):
        maker = Schema(rng)
        schema = maker.root()
        document = instance(rng, schema, maker.definitions)
        if rng.random() < 0.5:
            document = nudged(rng, document)
        cases[f"c{i}"] = dump({"schema": schema, "document": document})
        # As a value, a boolean schema is refused ("wrong type"); as text, it is a schema.
        inputs.append({"case": f"c{i}", "as_text": rng.random() < 0.3})
    return cases, inputs


def opa_answer(cases: dict[str, str], document: dict, query: str, strict: bool = False) -> dict:
    # Only the case the input names: OPA parses every module afresh for each evaluation.
    modules = {"schema_diff.rego": MODULE, "schema_values.rego": values_module({document["case"]: cases[document["case"]]})}
    return opa_eval(modules, {}, document, query, strict_builtin_errors=strict)


def test_json_schema_builtins_agree_with_opa_on_generated_schemas(tmp_path):
    require_oracle()
    cases, inputs = generated(random.Random(SEED), CASES)
    answers = warden_answers(tmp_path, "schema_diff", MODULE, QUERY, inputs, more={"schema_values": values_module(cases)})
    differences, counts = [], {"valid": 0, "invalid": 0, "refused": 0}
    for document, answer in zip(inputs, answers):
        theirs = opa_answer(cases, document, QUERY)
        expected = [r["expressions"][0]["value"] for r in theirs["result"] or []]
        got = [r["expressions"][0]["value"] for r in answer.get("result", [])]
        match = expected[0].get("match") if expected else None
        counts["refused" if match is None else "valid" if match[0] else "invalid"] += 1
        if expected != got:
            differences.append((cases[document["case"]], document["as_text"], expected, got))
    # Each kind of answer must be well represented, or the test proves little.
    assert min(counts.values()) > CASES // 20, counts
    assert not differences, f"{len(differences)} of {len(inputs)} differ; first: {differences[:4]}"


def test_json_schema_errors_carry_opas_texts_in_strict_mode(tmp_path):
    require_oracle()
    query = "data.schema_diff.match"
    cases, inputs = generated(random.Random(SEED + 1), 600)
    refused = [document for document in inputs if not opa_answer(cases, document, query)["result"]]
    assert len(refused) > 50
    answers = warden_answers(tmp_path, "schema_diff", MODULE, query, refused, strict=True, more={"schema_values": values_module(cases)})
    differences = []
    for document, answer in zip(refused, answers):
        theirs = opa_answer(cases, document, query, strict=True)
        expected = (theirs["error"]["code"], theirs["error"]["message"]) if theirs.get("error") else None
        got = ((answer.get("errors") or [{}])[0].get("code"), (answer.get("errors") or [{}])[0].get("message"))
        if expected != got:
            differences.append((cases[document["case"]], expected, got))
    assert not differences, f"{len(differences)} of {len(refused)} differ; first: {differences[:4]}"
