"""Rego oracle: evaluate a query with the real OPA and with regorus, in one result shape.

Runs inside .venv-policy (requirements/policy.txt).  Two engines:

* OPA v1.20.2 via opa-golib-python-bindings 0.4.4 (`opa_bindings`, Go c-shared library).
* regorus via gordon-to-regorus 0.13.0 (`regorus`, Rust), in a worker subprocess (it can
  crash the process: a recursive function overflows its stack).

Normalised result, the same for both engines (shaped like `opa eval --format json`)::

    {"result": [{"expressions": [{"value": V, "text": "x = data.p.r", "location": {...}}],
                 "bindings": {"x": V}}, ...],
     "error": None,
     "prints": ["module-0.rego:3: hello"],     # print() output, in order
     "warnings": [...],                       # regorus only: parser warnings it wrote to stderr
     "nonstrict_mocked": [...]}               # see "Strict builtin errors" below

    undefined       -> "result": []           (never None: empty list = undefined)
    error           -> "result": None, "error": {"code", "message", "stage", "raw"}

Normalisation choices
---------------------
* Error `code` is OPA's own code (rego_parse_error, rego_type_error, rego_compile_error,
  rego_unsafe_var_error, rego_recursion_error, eval_conflict_error, eval_builtin_error,
  eval_type_error, ...).  The bindings wrap every error in a coarse envelope code
  (parse_error = ast.ParseModule failed in add_policy, prepare_error = parse/compile of the
  query or the modules, eval_error = topdown); that goes to `stage` as parse/compile/eval
  and the real code is taken from the message.  `message` is the text after the code on
  its first line, without the "file:row:" prefix; `raw` is the untouched text.
* regorus has no error codes.  `code` is a best-effort guess from its message
  (REGORUS_CODE_HINTS below), else "regorus_error"; the corpus only ever stores OPA's codes.
  A dead regorus worker is code "engine_crash".
* Result lists keep each engine's order.  Compare with `same_answer`, which ignores order
  (like OPA's own test runner, which compares result *sets*) and treats integral floats as
  ints (OPA keeps the literal `1.0`, regorus prints `1`).  Sets come out of both engines as
  sorted JSON arrays.  Numbers are parsed with Python's json module: integers stay exact,
  OPA's decimal results (e.g. 0.1 + 0.2 = 0.3 in OPA) become Python floats.
* Input: `input=None` means *no input document* (input is undefined).  A JSON null input
  cannot be expressed through the OPA bindings, so it is not supported here either.
* Modules are named module-<i>.rego in list order when a list is given.

Rego versions
-------------
* OPA: the bindings build rego.New(...) with no RegoVersion option and parse modules with
  v1 ast.ParseModule, so only Rego v1 exists.  v0 text (`p { ... }`) is a
  rego_parse_error ("`if` keyword is required before rule body"); `import rego.v1` and
  `import future.keywords...` are accepted as no-ops.  There is no way to get v0.
* regorus: defaults to v1; `Engine.set_rego_v0(True)` switches the parser to v0.

Strict builtin errors
---------------------
* OPA: the bindings hard-code rego.StrictBuiltinErrors(true); there is no switch.  OPA's
  default (opa eval, the SDK) is non-strict: a builtin call that fails is *undefined*
  instead of an error.  `opa_eval(strict_builtin_errors=False)` emulates that with real
  OPA: it evaluates strictly and, when OPA reports an eval_builtin_error / eval_type_error
  from builtin `f`, evaluates again with `with f as data.__oracle_nonstrict.f` appended
  to the query.  That stand-in calls a Python function which evaluates the real `f` on the
  same arguments in a separate (strict) OPA engine and hands back its value, or nothing
  when it failed - so every call of `f` gets OPA's own answer, and the failing calls are
  undefined.  Repeated for up to 5 builtins; their names are listed in `nonstrict_mocked`.
  Limits: single-expression queries only; arguments and results pass through JSON, so a
  result set is rebuilt as a set, and a call with a set anywhere in its arguments makes
  the oracle answer "oracle_unsupported" rather than guess.
* regorus: always strict as well (the Python binding has no switch).  `mock_undefined`
  applies the same stand-ins (backed by regorus itself) so the non-strict answers can be
  cross-checked.  regorus cannot replace an infix operator (`/` is builtin `div`) with
  `with`, so such cases cannot be cross-checked.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
from typing import Any, Iterable, Mapping, Sequence

OPA_VERSION = "v1.20.2"  # built into opa-golib-python-bindings 0.4.4

_CODE_RE = re.compile(r"\b((?:rego|eval)_[a-z_]*error)\b:?\s*")
_LOC_PREFIX_RE = re.compile(r"^\s*(?:\d+ errors? occurred:\s*)?(?:[^\s:]+:\d+(?::\d+)?:\s*)?")
_BUILTIN_NAME_RE = re.compile(r"^([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*): ")
_MOCK_PKG = "__oracle_nonstrict"

# regorus message fragment -> the OPA code it corresponds to (best effort, for reports only)
REGORUS_CODE_HINTS = [
    ("rules must not produce multiple outputs", "eval_conflict_error"),
    ("rule conflicts with rule", "eval_conflict_error"),
    ("functions must not produce multiple outputs", "eval_conflict_error"),
    ("object keys must be unique", "eval_conflict_error"),
    ("keyword is required", "rego_parse_error"),
    ("expecting", "rego_parse_error"),
    ("unexpected", "rego_parse_error"),
    ("var `", "rego_unsafe_var_error"),
    ("recursion", "rego_recursion_error"),
]


# ----------------------------------------------------------------------------- helpers


def _modules_dict(modules: Mapping[str, str] | Sequence[str]) -> dict[str, str]:
    if isinstance(modules, Mapping):
        return dict(modules)
    return {f"module-{i}.rego": text for i, text in enumerate(modules)}


def _ok(result: list, prints=(), warnings=(), mocked=()) -> dict:
    out = {"result": list(result or []), "error": None, "prints": list(prints)}
    if warnings:
        out["warnings"] = list(warnings)
    if mocked:
        out["nonstrict_mocked"] = list(mocked)
    return out


def _err(code: str, message: str, stage: str, raw: str, warnings=()) -> dict:
    out = {
        "result": None,
        "error": {"code": code, "message": message, "stage": stage, "raw": raw},
        "prints": [],
    }
    if warnings:
        out["warnings"] = list(warnings)
    return out


def _split_opa_error(raw: str) -> tuple[str | None, str]:
    """('rego_type_error', 'count: invalid argument(s)') from an OPA error text."""
    m = _CODE_RE.search(raw)
    if not m:
        return None, _LOC_PREFIX_RE.sub("", raw.splitlines()[0] if raw else "")
    rest = raw[m.end():]
    return m.group(1), rest.splitlines()[0].strip() if rest else ""


def _single_expression(query: str) -> bool:
    return ";" not in query and "\n" not in query.strip()


# builtins that Rego spells as infix operators (OPA names them so in its error messages)
OPERATOR_BUILTINS = {"div": "/", "rem": "%", "plus": "+", "minus": "-", "mul": "*"}


def _ns_ident(name: str) -> str:
    return "ns_" + name.replace(".", "_")


def _ns_module(mocks: Mapping[str, int], v0: bool) -> str:
    """Stand-ins: `f(a0, ...)` is the real f's value, or undefined where the real f fails.

    Arguments travel to the Python side as JSON, which has no sets: a call whose
    arguments contain a set goes to __oracle_unsupported instead, which fails loudly."""
    lines = [f"package {_MOCK_PKG}", ""]
    if v0:
        lines.append("has_set(x) { walk(x, [_, v]); is_set(v) }")
    else:
        lines.append("has_set(x) if { walk(x, [_, v]); is_set(v) }")
    for name, n in mocks.items():
        ident = _ns_ident(name)
        params = ", ".join(f"a{i}" for i in range(n))
        call = f"__oracle_ext_{ident}({params})"
        arr = f"[{params}]"
        if v0:
            lines.append(f"{ident}({params}) = v {{ not has_set({arr}); r := {call}; v := r.ok }}")
            lines.append(
                f"{ident}({params}) = v {{ not has_set({arr}); r := {call}; s := r.set; v := {{e | e := s[_]}} }}"
            )
            lines.append(f"{ident}({params}) = v {{ has_set({arr}); v := __oracle_unsupported({arr}) }}")
        else:
            lines.append(f"{ident}({params}) := v if {{ not has_set({arr}); r := {call}; v := r.ok }}")
            lines.append(
                f"{ident}({params}) := v if {{ not has_set({arr}); r := {call}; s := r.set; v := {{e | some e in s}} }}"
            )
            lines.append(f"{ident}({params}) := v if {{ has_set({arr}); v := __oracle_unsupported({arr}) }}")
    return "\n".join(lines) + "\n"


def _unsupported(_args):
    raise RuntimeError("oracle_unsupported: a stood-in builtin was called with a set argument")


def _helper_query(name: str, n: int) -> str:
    if name in OPERATOR_BUILTINS:
        call = f"input[0] {OPERATOR_BUILTINS[name]} input[1]"
    else:
        call = f"{name}({', '.join(f'input[{i}]' for i in range(n))})"
    return f"x := {call}; t := type_name(x)"


def _helper_answer(res: dict) -> dict:
    if res.get("error") or not res.get("result"):
        return {}
    b = res["result"][0].get("bindings") or {}
    return {"set": b["x"]} if b.get("t") == "set" else {"ok": b.get("x")}


def _with_mocks(query: str, mocks: Mapping[str, int]) -> str:
    return query + "".join(f" with {name} as data.{_MOCK_PKG}.{_ns_ident(name)}" for name in mocks)


def _restore_query_text(res: dict, query: str) -> dict:
    """Show the caller's query text in expressions, not the one with the `with` stand-ins."""
    for r in res.get("result") or []:
        for e in r.get("expressions") or []:
            if isinstance(e.get("text"), str) and e["text"].startswith(query):
                e["text"] = query
    return res


def _mock_arity(texts: Sequence[str], name: str) -> int:
    return 2 if name in OPERATOR_BUILTINS else _call_arity(texts, name)


def _call_arity(texts: Sequence[str], name: str) -> int:
    """Number of arguments at the first call `name(...)` found in the texts (default 1)."""
    pat = re.compile(r"(?<![\w.])" + re.escape(name) + r"\(")
    for text in texts:
        m = pat.search(text)
        if not m:
            continue
        depth, args, i, seen = 0, 0, m.end(), False
        while i < len(text):
            c = text[i]
            if c == '"':
                seen = True
                i += 1
                while i < len(text) and text[i] != '"':
                    i += 2 if text[i] == "\\" else 1
            elif c == "`":
                seen = True
                i = text.index("`", i + 1)
            elif c in "([{":
                depth += 1
                seen = True
            elif c in ")]}":
                if depth == 0:
                    return args + 1 if seen else 0
                depth -= 1
            elif c == "," and depth == 0:
                args += 1
            elif not c.isspace():
                seen = True
            i += 1
    return 1


# ----------------------------------------------------------------------------- OPA


def _opa_once(modules: dict, data: Any, input: Any, query: str, functions: Mapping = {}) -> dict:
    from opa_bindings import OpaEngine, OpaError
    from opa_bindings import engine as _engine_mod

    eng = OpaEngine()
    try:
        for fname, (fn, arity) in functions.items():
            eng.register_function(fname, fn, arity=arity)
        for path, text in modules.items():
            try:
                eng.add_policy(path, text)
            except OpaError as e:
                code, msg = _split_opa_error(e.message)
                return _err(code or e.code, msg, "parse", e.message)
        try:
            eng.add_data(data if data is not None else {})
        except OpaError as e:
            return _err(e.code, e.message, "data", e.message)
        try:
            # The public eval_query() drops the expression values and prints to stderr;
            # call the bridge directly to get OPA's whole result set and its prints.
            env = eng._call(
                eng._lib.OpaEvalQuery,
                _engine_mod._cstr(query),
                _engine_mod._encode_input(input),
                0,
                0,
            )
        except OpaError as e:
            code, msg = _split_opa_error(e.message)
            stage = {"prepare_error": "compile", "eval_error": "eval"}.get(e.code, e.code)
            return _err(code or e.code, msg, stage, e.message)
        prints = [f"{p['location']}: {p['message']}" for p in (env.get("prints") or [])]
        return _ok(env.get("result") or [], prints)
    finally:
        eng.close()


def _opa_ext(name: str, n: int):
    query = _helper_query(name, n)

    def ext(*args):
        return _helper_answer(_opa_once({}, {}, list(args), query))

    return ext


def opa_eval(
    modules: Mapping[str, str] | Sequence[str],
    data: dict | None,
    input: object | None,
    query: str,
    strict_builtin_errors: bool = False,
    *,
    mock_undefined: Iterable[str] = (),
) -> dict:
    """Evaluate `query` with the real OPA.  See the module docstring for the result shape.

    `mock_undefined` forces the non-strict stand-ins for these builtins from the start."""
    mods = _modules_dict(modules)
    texts = list(mods.values()) + [query]
    mocks: dict[str, int] = {}  # builtin name -> arity
    pending = list(mock_undefined)
    for _ in range(6):
        if pending and not _single_expression(query):
            return _err("oracle_unsupported", "non-strict emulation needs a single-expression query", "oracle", "")
        for name in pending:
            mocks[name] = _mock_arity(texts, name)
        pending = []
        if mocks:
            functions = {
                f"__oracle_ext_{_ns_ident(name)}": (_opa_ext(name, n), n) for name, n in mocks.items()
            }
            functions["__oracle_unsupported"] = (_unsupported, 1)
            res = _opa_once(
                {**mods, "__oracle_nonstrict.rego": _ns_module(mocks, False)},
                data,
                input,
                _with_mocks(query, mocks),
                functions,
            )
            res = _restore_query_text(res, query)
            res["nonstrict_mocked"] = sorted(mocks)
        else:
            res = _opa_once(mods, data, input, query)
        if res["error"] and "oracle_unsupported" in res["error"]["raw"]:
            return _err("oracle_unsupported", "stood-in builtin called with a set argument", "oracle", res["error"]["raw"])
        err = res["error"]
        if (
            strict_builtin_errors
            or not err
            or err["stage"] != "eval"
            or err["code"] not in ("eval_builtin_error", "eval_type_error")
        ):
            return res
        m = _BUILTIN_NAME_RE.match(err["message"])
        if not m or m.group(1) in mocks:
            return res
        pending = [m.group(1)]
    return _err("oracle_unsupported", "too many failing builtins to emulate", "oracle", "")


# ----------------------------------------------------------------------------- regorus


@contextlib.contextmanager
def _capture_fd2():
    """Capture what native code writes to file descriptor 2 (regorus parser warnings)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        box: list[str] = []
        try:
            yield box
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            box.append(tmp.read().decode("utf-8", "replace"))


def _regorus_warnings(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip().startswith("warning:")]


def _split_regorus_error(raw: str) -> tuple[str, str]:
    text = raw.split("Stack backtrace:")[0].strip()
    msg = ""
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("error:"):
            msg = s[len("error:"):].strip()
            break
    if not msg:
        msg = text.splitlines()[0].strip() if text else ""
    code = "regorus_error"
    for frag, c in REGORUS_CODE_HINTS:
        if frag in text:
            code = c
            break
    return code, msg


def regorus_eval(
    modules: Mapping[str, str] | Sequence[str],
    data: dict | None,
    input: object | None,
    query: str,
    v0: bool = False,
    *,
    mock_undefined: Iterable[str] = (),
) -> dict:
    """Evaluate `query` with regorus (always strict builtin errors).  `v0=True` parses Rego v0.

    Runs in a worker subprocess: regorus overflows its stack and kills the process on some
    inputs (e.g. a recursive function, which OPA rejects at compile time).  A crash comes
    back as error code "engine_crash"; the next call starts a new worker.
    """
    req = {
        "modules": _modules_dict(modules),
        "data": data,
        "input": input,
        "query": query,
        "v0": bool(v0),
        "mock_undefined": list(mock_undefined),
    }
    return _WORKER.call(req)


class _Worker:
    def __init__(self):
        self.proc = None

    def _start(self):
        import subprocess

        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "regorus-worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def call(self, req: dict) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        assert self.proc.stdin and self.proc.stdout
        try:
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            rc = self.proc.wait()
            self.proc = None
            return _err("engine_crash", f"regorus worker died (exit status {rc})", "eval", "")
        return json.loads(line)


_WORKER = _Worker()


def _regorus_worker_main() -> int:
    for line in sys.stdin:
        req = json.loads(line)
        try:
            res = _regorus_eval_inprocess(
                req["modules"], req["data"], req["input"], req["query"],
                v0=req["v0"], mock_undefined=req["mock_undefined"],
            )
        except Exception as e:  # noqa: BLE001
            res = _err("oracle_crash", repr(e), "oracle", repr(e))
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()
    return 0


def _regorus_eval_inprocess(
    modules: Mapping[str, str] | Sequence[str],
    data: dict | None,
    input: object | None,
    query: str,
    v0: bool = False,
    *,
    mock_undefined: Iterable[str] = (),
) -> dict:
    import regorus

    mods = _modules_dict(modules)
    names = list(mock_undefined)
    if not names:
        return _regorus_once(regorus, mods, data, input, query, v0)
    if not _single_expression(query):
        return _err("oracle_unsupported", "mocks need a single-expression query", "oracle", "")
    texts = list(mods.values()) + [query]
    mocks = {name: _mock_arity(texts, name) for name in names}
    mods["__oracle_nonstrict.rego"] = _ns_module(mocks, v0)
    exts = {f"__oracle_ext_{_ns_ident(name)}": (_regorus_ext(regorus, name, n), n) for name, n in mocks.items()}
    exts["__oracle_unsupported"] = (_unsupported, 1)
    res = _regorus_once(regorus, mods, data, input, _with_mocks(query, mocks), v0, exts)
    if res["error"] and "oracle_unsupported" in res["error"]["raw"]:
        return _err("oracle_unsupported", "stood-in builtin called with a set argument", "oracle", res["error"]["raw"])
    res = _restore_query_text(res, query)
    res["nonstrict_mocked"] = sorted(mocks)
    return res


def _regorus_ext(regorus, name: str, n: int):
    query = _helper_query(name, n)

    def ext(*args):
        h = regorus.Engine()
        try:
            h.set_input(list(args))
            out = json.loads(h.eval_query_as_json(query))
        except Exception:  # noqa: BLE001 - the real builtin failed: undefined
            return {}
        return _helper_answer({"result": out.get("result") or [], "error": None})

    return ext


def _regorus_once(regorus, mods: dict, data, input, query: str, v0: bool, exts: Mapping = {}) -> dict:
    eng = regorus.Engine()
    eng.set_rego_v0(bool(v0))
    eng.set_gather_prints(True)
    for path, (fn, n) in exts.items():
        eng.add_extension(path, n, fn)
    with _capture_fd2() as captured:
        res = _regorus_run(eng, mods, data, input, query)
    warnings = _regorus_warnings(captured[0] if captured else "")
    if warnings:
        res["warnings"] = warnings
    return res


def _regorus_run(eng, mods: dict, data, input, query: str) -> dict:
    for path, text in mods.items():
        try:
            eng.add_policy(path, text)
        except Exception as e:  # noqa: BLE001 - regorus raises RuntimeError/ValueError
            raw = str(e)
            code, msg = _split_regorus_error(raw)
            if code == "regorus_error":
                code = "rego_parse_error"
            return _err(code, msg, "parse", raw.split("Stack backtrace:")[0].strip())
    try:
        eng.add_data_json(json.dumps(data if data is not None else {}))
        if input is not None:
            eng.set_input_json(json.dumps(input))
        out = json.loads(eng.eval_query_as_json(query))
    except Exception as e:  # noqa: BLE001
        raw = str(e)
        code, msg = _split_regorus_error(raw)
        return _err(code, msg, "eval", raw.split("Stack backtrace:")[0].strip())
    try:
        prints = list(eng.take_prints())
    except Exception:  # noqa: BLE001
        prints = []
    return _ok(out.get("result") or [], prints)


# ----------------------------------------------------------------------------- comparing


def normalize_value(v: Any) -> Any:
    """Integral floats -> int, recursively (for comparisons only)."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 2**63:
            return int(v)
        return v
    if isinstance(v, list):
        return [normalize_value(x) for x in v]
    if isinstance(v, dict):
        return {k: normalize_value(x) for k, x in v.items()}
    return v


def _canon(v: Any) -> str:
    return json.dumps(normalize_value(v), sort_keys=True, separators=(",", ":"))


def bindings(res: dict) -> list[dict] | None:
    """OPA test-case form of a result: the list of binding maps (None on error)."""
    if res.get("error"):
        return None
    return [r.get("bindings") or {} for r in res["result"]]


def same_answer(a: dict, b: dict) -> bool:
    """Both errors (any code), or the same result *set* (bindings and expression values).

    An engine crash never counts as agreement."""
    for r in (a, b):
        if r.get("error") and r["error"]["code"] == "engine_crash":
            return False
    if a.get("error") or b.get("error"):
        return bool(a.get("error")) and bool(b.get("error"))

    def key(res):
        return sorted(
            _canon([r.get("bindings") or {}, [e.get("value") for e in r.get("expressions") or []]])
            for r in res["result"]
        )

    return key(a) == key(b)


# ----------------------------------------------------------------------------- corpus cases


def answer_of(res: dict) -> dict:
    """Corpus form of a normalised result: want_result or want_error_code/want_error."""
    if res.get("error"):
        return {"want_error_code": res["error"]["code"], "want_error": res["error"]["message"]}
    out = {"want_result": bindings(res)}
    if res["result"] and not any(r.get("bindings") for r in res["result"]):
        # no variables in the query: the binding maps are all {}, keep the values too
        out["want_values"] = [[e.get("value") for e in r.get("expressions") or []] for r in res["result"]]
    return out


def answers_match(stored: dict, fresh: dict) -> bool:
    """Does a freshly computed answer match the one stored in a case?"""
    if "want_result" in stored:
        if "want_result" not in fresh:
            return False
        a = sorted(_canon(b) for b in stored["want_result"])
        b = sorted(_canon(b) for b in fresh["want_result"])
        if a != b:
            return False
        if "want_values" in stored:
            return sorted(map(_canon, stored["want_values"])) == sorted(map(_canon, fresh.get("want_values") or []))
        return True
    if "want_error_code" in stored or "want_error" in stored:
        if "want_error_code" not in fresh:
            return False
        if "want_error_code" in stored and stored["want_error_code"] != fresh["want_error_code"]:
            return False
        return stored.get("want_error", "") in fresh.get("want_error", "")
    return False


def case_modules(case: Mapping) -> dict[str, str]:
    return _modules_dict(case.get("modules") or [])


def run_case_opa(case: Mapping) -> dict:
    return opa_eval(
        case_modules(case),
        case.get("data") or {},
        case.get("input"),
        case["query"],
        strict_builtin_errors=bool(case.get("strict_error")),
    )


def run_case_regorus(case: Mapping, v0: bool | None = None, mock_undefined: Iterable[str] = ()) -> dict:
    if v0 is None:
        v0 = bool(case.get("v0_compatible"))
    return regorus_eval(
        case_modules(case),
        case.get("data") or {},
        case.get("input"),
        case["query"],
        v0=v0,
        mock_undefined=mock_undefined,
    )


def check_case(case: Mapping) -> list[str]:
    """Re-run one corpus case; return a list of problems (empty = still matches)."""
    problems: list[str] = []
    if case.get("v0_compatible"):
        rg = run_case_regorus(case, v0=True)
        if "regorus_v0" in case:
            if not answers_match(case["regorus_v0"], answer_of(rg)):
                problems.append(f"regorus v0: stored {case['regorus_v0']} got {answer_of(rg)}")
        elif not answers_match(case, answer_of(rg)):
            problems.append(f"regorus v0: stored {_stored(case)} got {answer_of(rg)}")
        if "opa_v1" in case:
            opa = run_case_opa(case)
            if not answers_match(case["opa_v1"], answer_of(opa)):
                problems.append(f"opa (v1): stored {case['opa_v1']} got {answer_of(opa)}")
        return problems
    opa = run_case_opa(case)
    if not answers_match(case, answer_of(opa)):
        problems.append(f"opa: stored {_stored(case)} got {answer_of(opa)}")
    if sorted(opa.get("nonstrict_mocked") or []) != sorted(case.get("opa_nonstrict_mock") or []):
        problems.append(
            f"opa: non-strict emulation mocked {opa.get('nonstrict_mocked')}, "
            f"stored {case.get('opa_nonstrict_mock')}"
        )
    if not case.get("regorus_differs") and not case.get("regorus_unchecked"):
        rg = run_case_regorus(case, v0=False, mock_undefined=case.get("opa_nonstrict_mock") or ())
        if not same_answer(opa, rg):
            problems.append(f"regorus disagrees: {answer_of(rg)}")
    return problems


def _stored(case: Mapping) -> dict:
    return {k: case[k] for k in ("want_result", "want_values", "want_error_code", "want_error") if k in case}


def load_cases(path: str) -> list[dict]:
    import yaml

    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    return list((doc or {}).get("cases") or [])


def _main(argv: list[str]) -> int:
    """`python oracle.py check FILE...` -> one JSON object per file on stdout.

    Also `python oracle.py opa-eval` (one request on stdin) and `regorus-worker` (internal)."""
    if argv[:1] == ["regorus-worker"]:
        return _regorus_worker_main()
    if argv[:1] == ["opa-eval"]:
        # one evaluation in a fresh process: JSON request on stdin, normalised result on stdout
        req = json.load(sys.stdin)
        res = opa_eval(req["modules"], req.get("data"), req.get("input"), req["query"], bool(req.get("strict")))
        print(json.dumps(res))
        return 0
    if len(argv) < 2 or argv[0] != "check":
        print("usage: oracle.py check CASES.yaml...", file=sys.stderr)
        return 2
    for path in argv[1:]:
        report = {"file": path, "cases": 0, "v0_cases": 0, "notes": [], "failures": []}
        for case in load_cases(path):
            report["cases"] += 1
            report["v0_cases"] += bool(case.get("v0_compatible"))
            report["notes"].append(case.get("note"))
            if not any(k in case for k in ("want_result", "want_error_code", "forbid_result")):
                report["failures"].append({"note": case.get("note"), "problems": ["no expected answer"]})
                continue
            try:
                problems = check_case(case)
            except Exception as e:  # noqa: BLE001
                problems = [f"oracle crashed: {e!r}"]
            if problems:
                report["failures"].append({"note": case.get("note"), "problems": problems})
        print(json.dumps(report, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
