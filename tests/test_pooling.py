from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from splade_rag.pooling import splade_pool


def _by_hand(logits: torch.Tensor, mask: torch.Tensor, pooling: str) -> list[list[float]]:
    """The formula, one token and one term at a time."""
    rows = []
    for b in range(logits.shape[0]):
        row = []
        for j in range(logits.shape[2]):
            terms = [
                math.log(1 + max(0.0, float(logits[b, i, j])))
                for i in range(logits.shape[1])
                if mask[b, i]
            ]
            row.append(max(terms) if pooling == "max" else sum(terms))
        rows.append(row)
    return rows


@pytest.mark.parametrize("pooling", ["max", "sum"])
def test_pooling_equals_the_formula(pooling: str) -> None:
    torch.manual_seed(0)
    logits = torch.randn(3, 5, 7) * 3
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 0, 0, 0, 0]])

    pooled = splade_pool(logits, mask, pooling)  # type: ignore[arg-type]

    np.testing.assert_allclose(pooled.numpy(), _by_hand(logits, mask, pooling), atol=1e-6)


def test_masked_tokens_never_contribute() -> None:
    logits = torch.zeros(1, 3, 2)
    logits[0, 2] = 100.0  # a huge logit on a padding token
    mask = torch.tensor([[1, 1, 0]])

    assert splade_pool(logits, mask).tolist() == [[0.0, 0.0]]


def test_inplace_gives_the_same_result_and_refuses_autograd() -> None:
    logits = torch.randn(2, 4, 6)
    mask = torch.ones(2, 4)

    expected = splade_pool(logits, mask)
    assert torch.equal(splade_pool(logits.clone(), mask, inplace=True), expected)

    with pytest.raises(ValueError, match="gradient"):
        splade_pool(logits.requires_grad_(), mask, inplace=True)


def test_gradients_flow_for_training() -> None:
    logits = torch.randn(2, 4, 6, requires_grad=True)
    splade_pool(logits, torch.ones(2, 4), "sum").sum().backward()

    assert logits.grad is not None
    assert torch.equal(logits.grad != 0, logits.detach() > 0)


def test_unknown_pooling_names_the_options() -> None:
    with pytest.raises(ValueError, match="max, sum"):
        splade_pool(torch.zeros(1, 1, 1), torch.ones(1, 1), "mean")  # type: ignore[arg-type]


def test_max_pooling_gradient_equals_the_formula_gradient() -> None:
    torch.manual_seed(1)
    logits = torch.randn(2, 5, 8) * 2
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    weights = torch.randn(2, 8)

    ours = logits.clone().requires_grad_()
    (splade_pool(ours, mask) * weights).sum().backward()
    formula = logits.clone().requires_grad_()
    pooled = (torch.log1p(torch.relu(formula)) * mask.unsqueeze(-1)).amax(dim=1)
    (pooled * weights).sum().backward()

    assert ours.grad is not None and formula.grad is not None
    torch.testing.assert_close(ours.grad, formula.grad)
