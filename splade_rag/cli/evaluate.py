"""`splade-rag eval`: retrieval quality of every mode on BEIR-layout collections."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from splade_rag.cli.encode import model_option

__all__ = ["register", "register_bench"]


def register(commands: Any) -> None:
    """Add the `eval` command."""
    command = commands.add_parser(
        "eval",
        help="evaluate sparse, BM25, dense and hybrid search on BEIR-format data",
        description="Index each BEIR folder (cached: a second run encodes nothing), run every "
        "mode's searches through the store, and print nDCG@10, Recall@100 and MRR@10 with a "
        "paired t-test against the best single arm.",
    )
    command.add_argument("data", nargs="+", type=Path, metavar="DATA_DIR")
    command.add_argument(
        "--modes",
        metavar="M,M",
        help="comma-separated modes: sparse, bm25, dense, bm25s (reference), hybrid, or arms "
        "joined by + with an optional :fusion, e.g. bm25+dense:rrf (default: all of them)",
    )
    command.add_argument("--split", default="test", help="the qrels split to report")
    model_option(command)
    group = command.add_mutually_exclusive_group()
    group.add_argument("--dense-model", metavar="M", help="dense model (default: MiniLM)")
    group.add_argument("--no-dense", action="store_true", help="leave out the dense arm")
    command.add_argument(
        "--chunk-size",
        type=int,
        metavar="N",
        help="index chunks of N tokens (default: whole documents, as they are judged)",
    )
    command.add_argument(
        "--tune",
        action="store_true",
        help="choose fusion parameters on the train split, or on held-out queries",
    )
    command.add_argument(
        "--tune-fraction",
        type=float,
        default=0.5,
        metavar="F",
        help="share of the queries held out for tuning when there is no train split",
    )
    command.add_argument("--cache", type=Path, metavar="DIR", help="index and vector cache")
    command.add_argument("--json", action="store_true", help="print the results as JSON")
    command.add_argument("--report", type=Path, metavar="DIR", help="write Markdown and PNGs")
    command.set_defaults(run=_eval)


def _eval(args: argparse.Namespace) -> int:
    from splade_rag.eval import IndexSettings, as_json, evaluate, markdown, write_report

    modes = [m for m in args.modes.split(",") if m.strip()] if args.modes else None
    settings = IndexSettings(
        model=args.model,
        dense_model=args.dense_model,
        dense=not args.no_dense,
        chunk_size=args.chunk_size,
    )
    reports = []
    for folder in args.data:
        report = evaluate(
            folder,
            modes=modes,
            split=args.split,
            settings=settings,
            tune=args.tune,
            tune_fraction=args.tune_fraction,
            cache=args.cache,
        )
        reports.append(report)
        if not args.json:
            print(markdown(report), flush=True)
    if args.json:
        print(json.dumps(as_json(reports), indent=2))
    if args.report is not None:
        command = "splade-rag " + shlex.join(args.argv)
        files = write_report(reports, args.report, command)
        print(f"report written: {', '.join(str(f) for f in files)}", file=sys.stderr)
    return 0


def register_bench(commands: Any) -> None:
    """Add the `bench` command."""
    command = commands.add_parser(
        "bench",
        help="measure encoding, ingest and query speed; write a BENCHMARKS.md section",
        description="Encode, ingest and search the first documents and queries of a BEIR "
        "folder in the embedded store, print the figures and write them, with the machine "
        "and the command, as a section of a Markdown file.",
    )
    command.add_argument("data", type=Path, metavar="DATA_DIR")
    command.add_argument("--docs", type=int, default=1000, metavar="N")
    command.add_argument("--queries", type=int, default=100, metavar="N")
    model_option(command)
    command.add_argument("--dense-model", metavar="M", help="dense model (default: MiniLM)")
    command.add_argument("--batch-size", type=int, default=32, metavar="N")
    command.add_argument("--output", type=Path, default=Path("BENCHMARKS.md"), metavar="FILE")
    command.set_defaults(run=_bench)


def _bench(args: argparse.Namespace) -> int:
    from splade_rag.eval.bench import run_bench, write_section

    for name in ("docs", "queries", "batch_size"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1")
    result = run_bench(
        args.data,
        docs=args.docs,
        queries=args.queries,
        model=args.model,
        dense_model=args.dense_model,
        batch_size=args.batch_size,
    )
    command = "splade-rag " + shlex.join(args.argv)
    print(write_section(result, args.output, command))
    print(f"written to {args.output}", file=sys.stderr)
    return 0
