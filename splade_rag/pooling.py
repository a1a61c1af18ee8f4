"""SPLADE pooling: `log(1 + ReLU(logits))` pooled over the tokens the mask keeps.

The formula is from SPLADE (https://arxiv.org/abs/2107.05720): the weight of vocabulary term
`j` for a text is `pool_i log(1 + ReLU(w_ij))`, where `w_ij` is the masked-LM logit of term `j`
at token `i`. The original paper sums over tokens; SPLADE v2 takes the maximum.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    import torch

__all__ = ["POOLINGS", "Pooling", "check_pooling", "splade_pool"]

Pooling = Literal["max", "sum"]
POOLINGS: tuple[str, ...] = get_args(Pooling)


def check_pooling(pooling: str) -> Pooling:
    """Return `pooling` if it is a known pooling, else raise a `ValueError` naming the options."""
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}; got {pooling!r}")
    return pooling  # type: ignore[return-value]


def splade_pool(
    logits: torch.Tensor, mask: torch.Tensor, pooling: Pooling = "max", *, inplace: bool = False
) -> torch.Tensor:
    """Pool masked-LM logits into SPLADE term weights.

    Args:
        logits: `(batch, tokens, vocab)` masked-LM logits.
        mask: `(batch, tokens)`, non-zero for the tokens to pool (the attention mask).
        pooling: `"max"` (SPLADE v2, the default) or `"sum"` (the original paper).
        inplace: overwrite `logits` instead of allocating a logits-sized tensor. For
            inference only: it cannot be used under autograd.

    Returns:
        `(batch, vocab)` non-negative term weights. Masked tokens never contribute, so padding
        does not change a row.
    """
    import torch

    check_pooling(pooling)
    if inplace and logits.requires_grad:
        raise ValueError("inplace=True cannot be used on logits that require a gradient")

    if pooling == "max":
        # log(1 + ReLU(x)) never decreases, so the max of the activations is the activation of
        # the max logit: one pass over the logits and the rest on (batch, vocab) only. The
        # gradient is the same, reaching each term's arg-max token alone.
        drop = (mask == 0).unsqueeze(-1)
        fill = logits.masked_fill_ if inplace else logits.masked_fill
        return torch.log1p(torch.relu(fill(drop, -math.inf).amax(dim=1)))

    # weights are >= 0, so zeroing the masked tokens removes them from the sum
    keep = mask.unsqueeze(-1).to(logits.dtype)
    if inplace:
        weights = logits.relu_().log1p_().mul_(keep)
    else:
        weights = torch.log1p(torch.relu(logits)) * keep
    return weights.sum(dim=1)
