"""Seconds per training step: the active-pairs gradient path against autograd through logits.

Both paths compute the same SPLADE representations and gradients (see tests/test_train.py);
this times one forward and backward of a SciFact batch on SPLADE-tiny with each, each path in
a fresh process so that its peak resident memory is its own.

    .venv/bin/python benchmarks/train_step.py ../shared/data/scifact --steps 5
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from splade_rag.models import bundled_splade_tiny, load_masked_lm
from splade_rag.pooling import splade_pool
from splade_rag.train.forward import TrainableSplade
from splade_rag.train.losses import flops, in_batch_ranking_loss


def autograd_represent(lm, texts: list[str], max_length: int) -> torch.Tensor:
    """The plain path: the whole `(texts, tokens, vocab)` logits under autograd."""
    inputs = lm.tokenizer(
        texts, truncation=True, max_length=max_length, padding=True, return_tensors="pt"
    )
    return splade_pool(lm.model(**inputs).logits, inputs["attention_mask"])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--queries", type=int, default=16)
    parser.add_argument("--docs-per-query", type=int, default=3)
    parser.add_argument("--max-doc-length", type=int, default=256)
    parser.add_argument("--path", choices=("ours", "autograd"), help="run one path only")
    args = parser.parse_args()
    if args.path is None:
        print("| path | s/step (median) | peak RSS MiB |\n| --- | ---: | ---: |", flush=True)
        for path in ("ours", "autograd"):
            subprocess.run([sys.executable, *sys.argv, "--path", path], check=True)
        return

    lines = (args.data / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines[: args.queries * args.docs_per_query]]
    docs = [f"{r['title']} {r['text']}" for r in records]
    lines = (args.data / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    queries = [json.loads(line)["text"] for line in lines[: args.queries]]

    lm = load_masked_lm(bundled_splade_tiny())
    lm.model.train()
    if args.path == "ours":
        name, represent = "active pairs (ours)", TrainableSplade(lm).represent
    else:
        name = "autograd through the logits"

        def represent(texts: Sequence[str], max_length: int) -> torch.Tensor:
            return autograd_represent(lm, list(texts), max_length)

    times = []
    for _ in range(args.steps + 1):  # the first step warms up, untimed
        started = time.perf_counter()
        q = represent(queries, 64)
        d = represent(docs, args.max_doc_length)
        loss = in_batch_ranking_loss(q, d, torch.arange(len(queries))) + 0.01 * flops(d)
        loss.backward()
        lm.model.zero_grad()
        times.append(time.perf_counter() - started)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| {name} | {statistics.median(times[1:]):.2f} | {peak:.0f} |", flush=True)


if __name__ == "__main__":
    main()
