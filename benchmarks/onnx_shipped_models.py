#!/usr/bin/env python3
"""Warden's ONNX engine against onnxruntime on the committed fixtures of the newer model kinds.

The models are the converter outputs committed in Tests/WardenONNXTests/Fixtures/ (nothing is
trained here):

- text_tfidf_logreg: string input, StringNormalizer + Tokenizer + TfIdfVectorizer (1-2 grams)
  + LogisticRegression (skl2onnx) -- the headline;
- text_count_nb: string input, CountVectorizer + MultinomialNB (skl2onnx);
- quantized_mlp: DynamicQuantizeLinear + MatMulInteger (onnxruntime dynamic quantization);
- float16_mlp, torch_layernorm_gelu_mlp, knn_classifier (Scan), catboost_classifier (ZipMap),
  catboost_regressor: numeric inputs.

Each model's inputs (names, element types, feature counts) are read from its graph. Text rows
are sentences of 5-30 words drawn from the model's own vocabulary (the TfIdfVectorizer's
`pool_strings`, its bigrams included) mixed with unknown words, capitals and punctuation;
numeric rows are standard normal values. Both come from a seeded generator, so every run times
the same rows. Batch 1 is the first row of the batch-1024 input.

For every model, before anything is timed, `warden onnx run` is run once on the batch-1024
input and its outputs are compared with onnxruntime's: integer and string outputs (labels)
exactly, float outputs (scores, ZipMap probabilities) within 1e-5 absolute. A model that fails
the check is reported and not timed, and the script exits 1 at the end.

Timing is benchmarks/onnx_engine.py's protocol, with its functions: onnxruntime in this
process with one intra-op and one inter-op thread, sequential; Warden through
`warden onnx bench` (InferenceSession.run alone). Batch 1: median and p99 over --calls calls;
batch 1024: rows per second over --big-calls calls.

Needs only numpy, onnx and onnxruntime: run it with .venv. onnx_engine.py imports the fixture
generator (sklearn, pandas) at module level for its training code; this script uses none of
that, so a placeholder module stands in for it. onnxruntime refuses the text models without the
en_US.UTF-8 locale; scripts/fixtures/fixture_locale.py provides it (building a private copy
with localedef when the system lacks it).

Usage (after `swift build -c release`):
    .venv/bin/python benchmarks/onnx_shipped_models.py [--warden .build/release/warden]
        [--calls 2000] [--big-calls 100] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "WardenONNXTests" / "Fixtures"
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "scripts" / "fixtures"))

# onnx_engine.py sets the single-thread environment variables before it imports numpy.
# Its `make_onnx_fixtures` import serves only train_models (not used here) and needs
# sklearn/pandas, which .venv does not have: a placeholder stands in while it is imported.
_placeholder = types.ModuleType("make_onnx_fixtures")
_placeholder.__doc__ = "placeholder: onnx_shipped_models.py does not train models"
_saved = sys.modules.get("make_onnx_fixtures")
sys.modules["make_onnx_fixtures"] = _placeholder
try:
    import onnx_engine  # noqa: E402
finally:
    if _saved is None:
        del sys.modules["make_onnx_fixtures"]
    else:
        sys.modules["make_onnx_fixtures"] = _saved
from onnx_engine import batch_json, format_row, ort_timings, summarize, table, warden_timings  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

from fixture_locale import ensure_en_us_locales  # noqa: E402

MODELS = [
    ("text_tfidf_logreg", "TF-IDF 1-2 grams + LogisticRegression, string input"),
    ("text_count_nb", "CountVectorizer + MultinomialNB, string input"),
    ("quantized_mlp", "DynamicQuantizeLinear + MatMulInteger MLP"),
    ("float16_mlp", "float16 weights MLP"),
    ("torch_layernorm_gelu_mlp", "torch LayerNorm + GELU MLP"),
    ("knn_classifier", "k-NN classifier (Scan)"),
    ("catboost_classifier", "CatBoost classifier (ZipMap)"),
    ("catboost_regressor", "CatBoost regressor"),
]
BIG = 1024
TOLERANCE = 1e-5
SEED = 20261126

NUMPY_TYPES = {
    TensorProto.FLOAT: np.float32,
    TensorProto.DOUBLE: np.float64,
    TensorProto.INT64: np.int64,
    TensorProto.INT32: np.int32,
}

# Words a support message is made of that a small text model mostly has not seen.
FILLER = ("the", "my", "i", "it", "is", "was", "to", "a", "please", "today", "again", "why",
          "does", "not", "this", "since", "yesterday", "thanks", "help", "me", "you", "we")


def vocabulary(model: onnx.ModelProto) -> tuple[list[str], list[tuple[str, str]]]:
    """The unigrams and bigrams of the model's TfIdfVectorizer `pool_strings`."""
    (node,) = [n for n in model.graph.node if n.op_type == "TfIdfVectorizer"]
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    pool = [s.decode("utf-8") for s in attrs["pool_strings"]]
    counts = list(attrs["ngram_counts"]) + [len(pool)]
    unigrams = pool[counts[0]:counts[1]]
    bigrams = []
    if attrs["max_gram_length"] >= 2 and len(counts) > 2:
        flat = pool[counts[1]:counts[2]]
        bigrams = list(zip(flat[0::2], flat[1::2]))
    return unigrams, bigrams


def unknown_word(rng: np.random.Generator) -> str:
    if rng.random() < 0.6:
        return FILLER[rng.integers(len(FILLER))]
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "".join(letters[i] for i in rng.integers(0, 26, size=rng.integers(3, 10)))


def sentence(rng: np.random.Generator, unigrams: list[str], bigrams: list[tuple[str, str]]) -> str:
    """5-30 words: vocabulary words and bigrams, unknown words, capitals and punctuation."""
    target = int(rng.integers(5, 31))
    words: list[str] = []
    while len(words) < target:
        draw = rng.random()
        if bigrams and draw < 0.15 and len(words) + 2 <= target:
            words.extend(bigrams[rng.integers(len(bigrams))])
        elif draw < 0.6:
            words.append(unigrams[rng.integers(len(unigrams))])
        else:
            words.append(unknown_word(rng))
    text = ""
    for i, word in enumerate(words):
        shape = rng.random()
        if shape < 0.05:
            word = word.upper()
        elif shape < 0.15 or i == 0:
            word = word[:1].upper() + word[1:]
        if i < len(words) - 1:
            mark = rng.random()
            if mark < 0.08:
                word += ","
            elif mark < 0.1:
                word += str(rng.choice([";", ":", "..."]))
            elif mark < 0.12:
                word = f"({word})"
        text += word
        if i < len(words) - 1:
            text += "-" if rng.random() < 0.02 else " "
    return text + str(rng.choice([".", "?", "!", "!!", ""]))


def make_batch(model: onnx.ModelProto, rows: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """`rows` rows for every graph input, shaped and typed as the graph declares them."""
    batch = {}
    for inp in model.graph.input:
        tensor = inp.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
        if len(dims) != 2 or dims[1] is None:
            raise SystemExit(f"{inp.name}: expected a [N, features] input, the graph declares {dims}")
        if tensor.elem_type == TensorProto.STRING:
            if dims[1] != 1:
                raise SystemExit(f"{inp.name}: expected a [N, 1] string input, the graph declares {dims}")
            unigrams, bigrams = vocabulary(model)
            texts = [sentence(rng, unigrams, bigrams) for _ in range(rows)]
            batch[inp.name] = np.array(texts, dtype=object).reshape(rows, 1)
        elif tensor.elem_type in NUMPY_TYPES:
            values = rng.standard_normal((rows, dims[1]))
            batch[inp.name] = values.astype(NUMPY_TYPES[tensor.elem_type])
        else:
            raise SystemExit(f"{inp.name}: element type {TensorProto.DataType.Name(tensor.elem_type)} not handled")
    return batch


def session(model: onnx.ModelProto) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def compare(name: str, expected, actual) -> tuple[bool, str]:
    """One output: ORT's `expected` against Warden's JSON `actual`."""
    if isinstance(expected, list):  # ZipMap: a sequence of {class: probability}
        if not isinstance(actual, list) or len(actual) != len(expected):
            return False, f"{name}: {len(expected)} maps expected, got {type(actual).__name__}"
        worst = 0.0
        for want, got in zip(expected, actual):
            want = {str(k): v for k, v in want.items()}
            if set(want) != set(got):
                return False, f"{name}: keys {sorted(want)} expected, got {sorted(got)}"
            worst = max(worst, max(abs(want[k] - got[k]) for k in want))
        return worst <= TOLERANCE, f"{name} (ZipMap) max |Δ| {worst:.1e}"
    got = np.asarray(actual)
    if got.shape != expected.shape:
        return False, f"{name}: shape {expected.shape} expected, got {got.shape}"
    if expected.dtype.kind == "f":
        worst = float(np.max(np.abs(expected.astype(np.float64) - got.astype(np.float64)), initial=0.0))
        return worst <= TOLERANCE, f"{name} max |Δ| {worst:.1e}"
    if expected.dtype == object or expected.dtype.kind in "US":
        mismatches = int(np.sum(expected.astype(str) != got.astype(str)))
    else:
        mismatches = int(np.sum(expected != got.astype(expected.dtype)))
    return mismatches == 0, f"{name} {'equal' if mismatches == 0 else f'{mismatches} differ'}"


def check(warden: str, model: onnx.ModelProto, model_path: Path, batch: dict, batch_path: Path) -> tuple[bool, str]:
    """Warden's outputs for the batch against ORT's, every output."""
    sess = session(model)
    names = [o.name for o in sess.get_outputs()]
    expected = dict(zip(names, sess.run(None, batch)))
    proc = subprocess.run([warden, "onnx", "run", str(model_path), "--input", str(batch_path)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return False, f"warden onnx run failed ({proc.returncode}): {proc.stderr.strip()[:500]}"
    actual = json.loads(proc.stdout)
    ok, parts = True, []
    for name in names:
        if name not in actual:
            ok = False
            parts.append(f"{name} missing")
            continue
        good, text = compare(name, expected[name], actual[name])
        ok &= good
        parts.append(text)
    return ok, ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warden", default=str(ROOT / ".build" / "release" / "warden"))
    parser.add_argument("--calls", type=int, default=2000, help="timed batch-1 calls")
    parser.add_argument("--big-calls", type=int, default=100, help="timed batch-1024 calls")
    parser.add_argument("--only", help="run only models whose name contains this text")
    args = parser.parse_args()

    ensure_en_us_locales()
    # CatBoost's regressor declares [N] and returns [N, 1]: without this ORT warns on every call.
    ort.set_default_logger_severity(3)
    print(f"onnxruntime {ort.__version__} (intra_op_num_threads=1), onnx {onnx.__version__}, numpy {np.__version__},"
          f" Python {platform.python_version()}; warden: {args.warden}", flush=True)
    results, failed = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for stem, description in MODELS:
            if args.only and args.only.lower() not in stem.lower():
                continue
            model_path = FIXTURES / f"{stem}.onnx"
            model = onnx.load(str(model_path))
            big = make_batch(model, BIG, np.random.default_rng(SEED))
            batches = {1: {k: np.ascontiguousarray(v[:1]) for k, v in big.items()}, BIG: big}
            paths = {}
            for size, batch in batches.items():
                paths[size] = Path(tmp) / f"{stem}.b{size}.json"
                paths[size].write_text(json.dumps(batch_json(batch)))

            ok, detail = check(args.warden, model, model_path, big, paths[BIG])
            print(f"{stem} ({description}): check on {BIG} rows: {'OK' if ok else 'FAILED'} ({detail})", flush=True)
            if not ok:
                failed.append(stem)
                continue

            row = {"model": stem}
            for size, calls in ((1, args.calls), (BIG, args.big_calls)):
                ort_stats = summarize(ort_timings(model, batches[size], calls), size)
                warden_stats = warden_timings(args.warden, model_path, paths[size], calls)
                row[size] = (ort_stats, warden_stats)
            results.append(row)
            print(format_row(row), flush=True)
    print()
    print(table(results))
    if failed:
        print(f"\nnot timed, Warden's outputs differ from onnxruntime's: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
