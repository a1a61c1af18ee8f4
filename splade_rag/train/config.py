"""Training settings: `TrainingConfig`, and the saved settings of a run to resume."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal

from splade_rag.train import checkpoint
from splade_rag.train.losses import REGULARIZERS, Regularizer

__all__ = [
    "NEGATIVE_SOURCES",
    "NegativeSource",
    "TrainingConfig",
    "resumed_config",
    "saved_config",
]

NegativeSource = Literal["auto", "bm25", "model", "none"]
NEGATIVE_SOURCES: tuple[str, ...] = ("auto", "bm25", "model", "none")
# settings that may change when a run is resumed
RESUMABLE = ("steps", "save_every", "keep_checkpoints", "log_every")


@dataclass(frozen=True)
class TrainingConfig:
    """How to train; the defaults are those of the SciFact run in the README.

    That run fine-tunes SPLADE-tiny on a 2-core CPU in 21 minutes. For BERT-base models a
    learning rate of 2e-5 is the paper's.

    Args:
        steps: optimizer steps.
        batch_size: queries per batch (each with its positive and hard negatives); at least 2,
            since the other queries' documents are the in-batch negatives.
        learning_rate: AdamW's peak learning rate, reached after `warmup_steps`, then decayed
            linearly to 0.
        warmup_steps: learning-rate warm-up.
        weight_decay: AdamW's weight decay.
        lambda_q: weight of the query representations' sparsity penalty.
        lambda_d: weight of the document representations' sparsity penalty.
        regularizer: `"flops"` (SPLADE's) or `"l1"`.
        reg_warmup_steps: the penalties' weights grow as `(step / reg_warmup_steps)^2` until
            then (the paper's quadratic warm-up).
        grad_accumulation: batches whose gradients are summed per optimizer step (in-batch
            negatives stay within each batch).
        negatives: hard negatives from `"bm25"` or `"model"` (the starting model, through the
            store), `"none"` (in-batch only), or `"auto"`: a triples file's own negatives, else
            BM25.
        negatives_per_query: hard negatives drawn per query each step.
        negative_depth: hits searched per query when mining.
        max_query_length: query tokens kept.
        max_doc_length: document tokens kept (training truncates; the encoder windows).
        distill_weight: weight of MarginMSE when teacher scores are given.
        max_grad_norm: gradient clipping (0: none).
        seed: seeds the data order, the negatives drawn and dropout.
        save_every: steps between checkpoints (0: only at the end).
        keep_checkpoints: checkpoints kept on disk.
        log_every: steps between lines of `log.jsonl`.
        device: `"cpu"`, `"cuda"`, `"mps"`; None picks the best available.
        bf16: autocast to bfloat16 (None: on when the GPU supports it, never on a CPU).
    """

    steps: int = 500
    batch_size: int = 16
    learning_rate: float = 1e-4
    warmup_steps: int = 50
    weight_decay: float = 0.01
    lambda_q: float = 1e-2
    lambda_d: float = 1e-2
    regularizer: Regularizer = "flops"
    reg_warmup_steps: int = 150
    grad_accumulation: int = 1
    negatives: NegativeSource = "auto"
    negatives_per_query: int = 2
    negative_depth: int = 50
    max_query_length: int = 64
    max_doc_length: int = 256
    distill_weight: float = 1.0
    max_grad_norm: float = 1.0
    seed: int = 0
    save_every: int = 100
    keep_checkpoints: int = 2
    log_every: int = 10
    device: str | None = None
    bf16: bool | None = None

    def __post_init__(self) -> None:
        for name in ("steps", "grad_accumulation", "negatives_per_query", "negative_depth"):
            _at_least(name, getattr(self, name), 1)
        for name in ("max_query_length", "max_doc_length"):
            _at_least(name, getattr(self, name), 4)
        for name in ("warmup_steps", "reg_warmup_steps", "save_every", "seed"):
            _at_least(name, getattr(self, name), 0)
        _at_least("keep_checkpoints", self.keep_checkpoints, 1)
        _at_least("log_every", self.log_every, 1)
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int):
            raise ValueError(f"batch_size must be an integer, got {self.batch_size!r}")
        if self.batch_size < 2:
            raise ValueError(
                f"batch_size must be at least 2, got {self.batch_size}: the ranking loss takes "
                "its negatives from the other queries of the batch"
            )
        for name in ("learning_rate",):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("lambda_q", "lambda_d", "weight_decay", "distill_weight", "max_grad_norm"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.regularizer not in REGULARIZERS:
            raise ValueError(
                f"regularizer must be one of {', '.join(REGULARIZERS)}; got {self.regularizer!r}"
            )
        if self.negatives not in NEGATIVE_SOURCES:
            raise ValueError(
                f"negatives must be one of {', '.join(NEGATIVE_SOURCES)}; got {self.negatives!r}"
            )


def saved_config(output: str | Path) -> TrainingConfig:
    """The settings of the training run in `output`, to resume it with some of them changed."""
    saved = checkpoint.read_training(Path(output))["config"]
    known = {f.name for f in fields(TrainingConfig)}
    return TrainingConfig(**{key: value for key, value in saved.items() if key in known})


def resumed_config(out: Path, config: TrainingConfig | None) -> TrainingConfig:
    """`config`, checked against the saved run's settings; the saved ones when None."""
    saved = saved_config(out)
    if config is None:
        return saved
    differ = [
        f"{f.name} {getattr(config, f.name)!r} (saved: {getattr(saved, f.name)!r})"
        for f in fields(TrainingConfig)
        if f.name not in RESUMABLE and getattr(config, f.name) != getattr(saved, f.name)
    ]
    if differ:
        raise ValueError(
            f"cannot resume {out} with other settings: {', '.join(differ)}. Resume with the "
            "saved settings (only steps and checkpointing may change), or start a new run with "
            "--overwrite."
        )
    return config


def _at_least(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
