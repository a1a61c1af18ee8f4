"""Training losses: the in-batch ranking loss, FLOPS and L1 sparsity, MarginMSE distillation.

From SPLADE (https://arxiv.org/abs/2107.05720) and SPLADE v2 (https://arxiv.org/abs/2109.10086):
each query is scored by dot product against its positive, its hard negatives and every other
document of the batch, and trained with softmax cross-entropy towards its positive. FLOPS
(Paria et al., https://arxiv.org/abs/2004.05665) penalises terms that are active across many
texts, the cost of an inverted index; its weight rises quadratically during a warm-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    import torch

__all__ = [
    "REGULARIZERS",
    "Regularizer",
    "flops",
    "in_batch_ranking_loss",
    "l1",
    "margin_mse",
    "regularization",
    "warmed_up_weight",
]

Regularizer = Literal["flops", "l1"]
REGULARIZERS: tuple[str, ...] = get_args(Regularizer)


def in_batch_ranking_loss(
    queries: torch.Tensor,
    documents: torch.Tensor,
    positives: torch.Tensor,
    excluded: torch.Tensor | None = None,
) -> torch.Tensor:
    """Softmax cross-entropy of each query's positive against every document of the batch.

    Args:
        queries: `(queries, vocab)` query representations.
        documents: `(documents, vocab)` every document of the batch: the positives and the
            hard negatives of all queries.
        positives: `(queries,)` the row of `documents` that is each query's positive.
        excluded: `(queries, documents)` True where a document must not count as a negative
            of a query (another of its positives, or the same text twice); optional.

    Returns:
        The mean loss over queries, a scalar.
    """
    import torch

    scores = queries @ documents.T  # (queries, documents)
    if excluded is not None:
        own = torch.zeros_like(excluded)
        own[torch.arange(len(positives)), positives] = True
        scores = scores.masked_fill(excluded & ~own, float("-inf"))
    return torch.nn.functional.cross_entropy(scores, positives)


def flops(representations: torch.Tensor) -> torch.Tensor:
    """FLOPS regularisation: `sum_j (mean_i w_ij)^2` over the vocabulary `j` of a batch `i`."""
    return representations.abs().mean(dim=0).pow(2).sum()


def l1(representations: torch.Tensor) -> torch.Tensor:
    """L1 regularisation: the mean over the batch of each representation's L1 norm."""
    return representations.abs().sum(dim=1).mean()


def regularization(kind: Regularizer, representations: torch.Tensor) -> torch.Tensor:
    """The `kind` (`flops` or `l1`) sparsity penalty of a batch of representations."""
    if kind == "flops":
        return flops(representations)
    if kind == "l1":
        return l1(representations)
    raise ValueError(f"regularizer must be one of {', '.join(REGULARIZERS)}; got {kind!r}")


def warmed_up_weight(weight: float, step: int, warmup_steps: int) -> float:
    """`weight` scaled by `(step / warmup_steps)^2` until the warm-up ends, as in SPLADE.

    `step` counts from 1; with `warmup_steps=0` the full weight applies from the start.
    """
    if warmup_steps <= 0 or step >= warmup_steps:
        return weight
    return weight * (step / warmup_steps) ** 2


def margin_mse(
    positive_scores: torch.Tensor,
    negative_scores: torch.Tensor,
    teacher_positive: torch.Tensor,
    teacher_negative: torch.Tensor,
) -> torch.Tensor:
    """MarginMSE (https://arxiv.org/abs/2010.02666): the student's margins against the teacher's.

    All four are `(pairs,)`: the scores of a query with its positive and with one negative.
    """
    import torch

    student = positive_scores - negative_scores
    teacher = teacher_positive - teacher_negative
    return torch.nn.functional.mse_loss(student, teacher)
