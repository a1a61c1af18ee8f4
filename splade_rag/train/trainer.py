"""`train`: fine-tune a SPLADE model with the in-batch ranking loss and sparsity regularisation.

Each step scores every query of a batch against every document of the batch (the positives and
hard negatives of all its queries), with softmax cross-entropy towards the query's positive
(SPLADE's rank-IBN loss), adds the FLOPS (or L1) penalty of the query and document
representations with their own weights, warmed up quadratically, and optionally MarginMSE
towards teacher scores. The representations are the encoder's: the same masked-LM, the same
`log(1 + ReLU)` and pooling.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from splade_rag.models import MaskedLM, load_masked_lm, saved_settings
from splade_rag.pooling import Pooling, check_pooling
from splade_rag.runner import resolve_device
from splade_rag.train import checkpoint
from splade_rag.train.config import TrainingConfig, resumed_config
from splade_rag.train.data import (
    Batch,
    TrainingData,
    batches,
    load_training_data,
    read_teacher_scores,
)
from splade_rag.train.forward import TrainableSplade
from splade_rag.train.losses import (
    in_batch_ranking_loss,
    margin_mse,
    regularization,
    warmed_up_weight,
)
from splade_rag.train.negatives import mine_negatives

if TYPE_CHECKING:
    import torch

__all__ = ["TrainingResult", "train"]

logger = logging.getLogger(__name__)


@dataclass
class TrainingResult:
    """What a training run did: where the model is, its steps, time and last figures."""

    output: Path
    steps: int
    seconds: float
    last: dict[str, float] = field(default_factory=dict)


def train(
    data: str | Path | TrainingData,
    model: str | Path,
    output: str | Path,
    config: TrainingConfig | None = None,
    *,
    pooling: Pooling | None = None,
    split: str = "train",
    teacher_scores: str | Path | None = None,
    overwrite: bool = False,
    resume: bool = False,
    show_progress: bool | None = None,
) -> TrainingResult:
    """Fine-tune `model` on `data` and save the result in `output`, loadable by the encoder.

    Args:
        data: a BEIR folder (its `split` judgements), a triples file, or `TrainingData`.
        model: the starting checkpoint: hub id or folder of a SPLADE (or any masked-LM) model.
        output: the folder to train into (see `splade_rag.train.checkpoint` for its layout).
        config: the training settings; on resume, None keeps the saved ones (see
            `saved_config`), and only steps and checkpointing may differ from them.
        pooling: `"max"` or `"sum"`; default the starting checkpoint's, else max.
        split: the qrels split of a BEIR folder to learn from.
        teacher_scores: a `query-id<TAB>doc-id<TAB>score` file: adds MarginMSE distillation.
        overwrite: replace an earlier run in `output`.
        resume: continue the run in `output` from its latest checkpoint.
        show_progress: a progress bar (default: when logging at INFO).

    Example:
        >>> from splade_rag.train import TrainingConfig, train  # doctest: +SKIP
        >>> train("scifact", "path/to/splade", "out", TrainingConfig(steps=200))  # doctest: +SKIP
        >>> SpladeEncoder("out").encode_queries("...")  # doctest: +SKIP
    """
    import torch

    out = Path(output)
    resuming = checkpoint.check_output(out, overwrite=overwrite, resume=resume)
    config = resumed_config(out, config) if resuming else config or TrainingConfig()
    pooling = check_pooling(pooling or saved_settings(model).get("pooling", "max"))
    started = time.perf_counter()

    training = data if isinstance(data, TrainingData) else load_training_data(data, split)
    if resuming:
        _check_same_run(out, str(model), training.name)
    if teacher_scores is not None:
        training.teacher = read_teacher_scores(teacher_scores, training)
    if config.batch_size > len(training.pairs()):
        raise ValueError(
            f"batch_size {config.batch_size} is larger than the {len(training.pairs())} "
            f"training pairs of {training.name}; lower it"
        )
    if not resuming:
        checkpoint.clear_output(out)

    device = resolve_device(config.device)
    bf16 = config.bf16
    if bf16 is None:
        bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    torch.manual_seed(config.seed)
    start_step, start_from = 0, str(model)
    found = checkpoint.latest_checkpoint(out) if resuming else None
    if found is not None:
        start_from, start_step = str(found[0]), found[1]
    lm = load_masked_lm(start_from, device=device)
    _set_negatives(
        training, config, out=out, model=start_from, device=device, show_progress=show_progress
    )

    record = {
        "model": str(model),
        "data": training.name,
        "pooling": pooling,
        "config": asdict(config),
        "pairs": len(training.pairs()),
        "step": start_step,
    }
    checkpoint.write_training(out, record)
    trainer = _Trainer(lm, training, config, pooling, bf16)
    if found is not None:
        trainer.load_state(checkpoint.load_state(found[0]))
        logger.info("resuming %s at step %d", out, start_step)

    last = trainer.run(out, start_step, record, show_progress)
    checkpoint.save_model(lm, out, pooling)
    seconds = time.perf_counter() - started
    checkpoint.write_training(out, {**record, "step": config.steps, "seconds": round(seconds, 1)})
    return TrainingResult(out, config.steps, seconds, last)


class _Trainer:
    """The optimisation loop over one model and one set of training data."""

    def __init__(
        self,
        lm: MaskedLM,
        data: TrainingData,
        config: TrainingConfig,
        pooling: Pooling,
        bf16: bool,
    ) -> None:
        import torch
        from transformers import get_linear_schedule_with_warmup

        self.lm = lm
        self.data = data
        self.config = config
        self.pooling = pooling
        self.bf16 = bf16
        self.splade = TrainableSplade(lm, pooling)
        self.optimizer = torch.optim.AdamW(
            lm.model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
        )
        self.schedule = get_linear_schedule_with_warmup(  # type: ignore[no-untyped-call]
            self.optimizer, config.warmup_steps, config.steps
        )

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore the optimizer, the schedule and the random state of a checkpoint."""
        import torch

        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        torch.set_rng_state(state["rng"])

    def state(self) -> dict[str, Any]:
        """The optimizer, schedule and random state, for a checkpoint."""
        import torch

        return {
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict(),
            "rng": torch.get_rng_state(),
        }

    def run(
        self, out: Path, start_step: int, record: dict[str, Any], show_progress: bool | None
    ) -> dict[str, float]:
        """Train from `start_step` to the configured steps; returns the last step's figures."""
        import torch

        config = self.config
        if show_progress is None:
            show_progress = logger.isEnabledFor(logging.INFO)
        stream = batches(self.data, config.batch_size, config.negatives_per_query, config.seed)
        for _ in range(start_step * config.grad_accumulation):
            next(stream)  # the batches already trained on, skipped in the same order

        self.lm.model.train()
        figures: dict[str, float] = {}
        bar = tqdm(total=config.steps, initial=start_step, disable=not show_progress, unit="step")
        with bar, (out / "log.jsonl").open("a", encoding="utf-8") as log:
            for step in range(start_step + 1, config.steps + 1):
                parts = [
                    self._backward(next(stream), step) for _ in range(config.grad_accumulation)
                ]
                figures = {key: sum(p[key] for p in parts) / len(parts) for key in parts[0]}
                if config.max_grad_norm > 0:
                    torch.nn.utils.clip_grad_norm_(
                        self.lm.model.parameters(), config.max_grad_norm
                    )
                self.optimizer.step()
                self.schedule.step()
                self.optimizer.zero_grad(set_to_none=True)

                figures["lr"] = self.schedule.get_last_lr()[0]
                bar.update(1)
                bar.set_postfix(
                    loss=f"{figures['loss']:.3f}",
                    flops=f"{figures['flops_d']:.2f}",
                    nnz_q=f"{figures['nnz_q']:.0f}",
                    nnz_d=f"{figures['nnz_d']:.0f}",
                )
                if step % config.log_every == 0 or step == config.steps:
                    log.write(json.dumps({"step": step, **_rounded(figures)}) + "\n")
                    log.flush()
                if step == config.steps or (config.save_every and step % config.save_every == 0):
                    checkpoint.save_checkpoint(self.lm, out, step, self.pooling, self.state())
                    checkpoint.prune_checkpoints(out, config.keep_checkpoints)
                    checkpoint.write_training(out, {**record, "step": step})
        self.lm.model.eval()  # type: ignore[no-untyped-call]
        return figures

    def _backward(self, batch: Batch, step: int) -> dict[str, float]:
        """Forward and backward of one batch; returns its figures."""
        import torch

        config = self.config
        device = self.lm.model.device
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=self.bf16):
            queries = self.splade.represent(
                [self.data.queries[q] for q in batch.query_ids], config.max_query_length
            )
            documents = self.splade.represent(
                [self.data.documents[d] for d in batch.document_ids], config.max_doc_length
            )
        queries, documents = queries.float(), documents.float()

        positives = torch.arange(len(batch.query_ids), device=device)
        excluded = torch.tensor(batch.excluded(self.data), device=device)
        rank = in_batch_ranking_loss(queries, documents, positives, excluded)
        reg_q = regularization(config.regularizer, queries)
        reg_d = regularization(config.regularizer, documents)
        lambda_q = warmed_up_weight(config.lambda_q, step, config.reg_warmup_steps)
        lambda_d = warmed_up_weight(config.lambda_d, step, config.reg_warmup_steps)
        loss = rank + lambda_q * reg_q + lambda_d * reg_d
        distill = self._distillation(batch, queries, documents)
        if distill is not None:
            loss = loss + config.distill_weight * distill
        (loss / config.grad_accumulation).backward()  # type: ignore[no-untyped-call]

        figures = {
            "loss": loss.item(),
            "rank": rank.item(),
            f"{config.regularizer}_q": reg_q.item(),
            f"{config.regularizer}_d": reg_d.item(),
            "nnz_q": float((queries > 0).sum(dim=1).float().mean()),
            "nnz_d": float((documents > 0).sum(dim=1).float().mean()),
        }
        if distill is not None:
            figures["margin_mse"] = distill.item()
        return figures

    def _distillation(
        self, batch: Batch, queries: torch.Tensor, documents: torch.Tensor
    ) -> torch.Tensor | None:
        """MarginMSE over the (positive, hard negative) pairs that have teacher scores."""
        import torch

        teacher = self.data.teacher
        if not teacher:
            return None
        rows: list[tuple[int, int, float, float]] = []
        for i, (query, negatives) in enumerate(zip(batch.query_ids, batch.negatives, strict=True)):
            positive = teacher.get((query, batch.document_ids[i]))
            for row in negatives:
                negative = teacher.get((query, batch.document_ids[row]))
                if positive is not None and negative is not None:
                    rows.append((i, row, positive, negative))
        if not rows:
            return None
        q, n, t_pos, t_neg = (list(column) for column in zip(*rows, strict=True))
        index = torch.tensor(q, device=queries.device)
        scores_pos = (queries[index] * documents[index]).sum(dim=1)
        scores_neg = (queries[index] * documents[torch.tensor(n, device=queries.device)]).sum(1)
        return margin_mse(
            scores_pos,
            scores_neg,
            torch.tensor(t_pos, device=queries.device),
            torch.tensor(t_neg, device=queries.device),
        )


def _set_negatives(
    data: TrainingData,
    config: TrainingConfig,
    *,
    out: Path,
    model: str,
    device: torch.device,
    show_progress: bool | None,
) -> None:
    """Mine (or reload) the hard negatives the configuration asks for."""
    from splade_rag.encoder import SpladeEncoder

    source = config.negatives
    if source == "none":
        data.negatives = {}
        return
    if source == "auto":
        if data.negatives:
            return
        source = "bm25"
    cached = out / "negatives.json"
    if cached.is_file():
        data.negatives = json.loads(cached.read_text(encoding="utf-8"))
        return
    encoder = SpladeEncoder(model, device=device)
    data.negatives = mine_negatives(
        data,
        source,
        encoder,
        depth=config.negative_depth,
        show_progress=bool(show_progress),
    )
    cached.write_text(json.dumps(data.negatives), encoding="utf-8")


def _check_same_run(out: Path, model: str, data: str) -> None:
    """Refuse to resume a run with another starting model or other data."""
    saved = checkpoint.read_training(out)
    for name, given in (("model", model), ("data", data)):
        if saved.get(name) != given:
            raise ValueError(
                f"cannot resume {out}: it was trained from {name} {saved.get(name)!r}, not "
                f"{given!r}. Resume with the same {name}, or start anew with --overwrite."
            )


def _rounded(figures: dict[str, float]) -> dict[str, float]:
    return {key: float(f"{value:.6g}") for key, value in figures.items()}
