"""`splade-rag train`: fine-tune a SPLADE model on labelled queries."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from splade_rag.cli.encode import model_option

__all__ = ["register"]

# command-line option -> TrainingConfig field, with its type and help
OPTIONS: dict[str, tuple[str, type, str]] = {
    "--steps": ("steps", int, "optimizer steps (default 500)"),
    "--batch-size": ("batch_size", int, "queries per batch, at least 2 (default 16)"),
    "--lr": ("learning_rate", float, "peak learning rate (default 1e-4)"),
    "--warmup-steps": ("warmup_steps", int, "learning-rate warm-up steps (default 50)"),
    "--lambda-q": ("lambda_q", float, "query sparsity weight (default 1e-2)"),
    "--lambda-d": ("lambda_d", float, "document sparsity weight (default 1e-2)"),
    "--reg-warmup": ("reg_warmup_steps", int, "quadratic warm-up of the lambdas (default 150)"),
    "--grad-accum": ("grad_accumulation", int, "batches per optimizer step (default 1)"),
    "--negatives-per-query": ("negatives_per_query", int, "hard negatives a query (default 2)"),
    "--max-query-length": ("max_query_length", int, "query tokens kept (default 64)"),
    "--max-doc-length": ("max_doc_length", int, "document tokens kept (default 256)"),
    "--distill-weight": ("distill_weight", float, "MarginMSE weight with --teacher (default 1)"),
    "--seed": ("seed", int, "random seed (default 0)"),
    "--save-every": ("save_every", int, "steps between checkpoints, 0: at the end (default 100)"),
}


def register(commands: Any) -> None:
    """Add the `train` command."""
    from splade_rag.train.config import NEGATIVE_SOURCES
    from splade_rag.train.losses import REGULARIZERS

    command = commands.add_parser(
        "train",
        help="fine-tune a SPLADE model on a BEIR folder's train queries or a triples file",
        description="Fine-tune with the in-batch ranking loss over in-batch and hard negatives "
        "and FLOPS sparsity regularisation; the model saved in --out loads in SpladeEncoder.",
    )
    command.add_argument("data", type=Path, metavar="DATA", help="BEIR folder or triples file")
    model_option(command)
    command.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    command.add_argument("--split", default="train", help="the qrels split to learn from")
    for flag, (field, kind, text) in OPTIONS.items():
        command.add_argument(flag, dest=field, type=kind, metavar="N", help=text)
    command.add_argument("--regularizer", choices=REGULARIZERS, help="sparsity penalty (flops)")
    command.add_argument(
        "--negatives", choices=NEGATIVE_SOURCES, help="hard negatives' source (default auto)"
    )
    command.add_argument("--teacher", type=Path, metavar="FILE", help="teacher scores (TSV)")
    command.add_argument("--pooling", choices=("max", "sum"), help="default: the model's")
    command.add_argument("--device", help="cpu, cuda or mps (default: the best available)")
    command.add_argument(
        "--bf16", action=argparse.BooleanOptionalAction, help="bfloat16 autocast (GPU default)"
    )
    group = command.add_mutually_exclusive_group()
    group.add_argument("--resume", action="store_true", help="continue the run in --out")
    group.add_argument("--overwrite", action="store_true", help="replace the run in --out")
    command.set_defaults(run=_train)


def _train(args: argparse.Namespace) -> int:
    from splade_rag.models import choose_model
    from splade_rag.train import TrainingConfig, saved_config, train
    from splade_rag.train.checkpoint import read_training

    given = {field: getattr(args, field) for field, _, _ in OPTIONS.values()}
    given |= {"regularizer": args.regularizer, "negatives": args.negatives}
    given |= {"device": args.device, "bf16": args.bf16}
    given = {key: value for key, value in given.items() if value is not None}
    base = saved_config(args.out) if args.resume else TrainingConfig()
    config = replace(base, **given)

    if args.resume and args.model is None:
        model = read_training(args.out)["model"]  # the run's own starting model
    else:
        model, notice = choose_model(args.model)
        if notice:
            print(f"note: {notice}", file=sys.stderr)
    result = train(
        args.data,
        model,
        args.out,
        config,
        pooling=args.pooling,
        split=args.split,
        teacher_scores=args.teacher,
        overwrite=args.overwrite,
        resume=args.resume,
        show_progress=True,
    )
    figures = ", ".join(f"{key} {value:.4g}" for key, value in result.last.items())
    print(f"trained {result.steps} steps in {result.seconds:.0f} s: {figures}")
    print(
        f"model saved in {result.output}; evaluate it with `splade-rag eval DATA_DIR --model "
        f"{result.output}`"
    )
    return 0
