"""Training losses and batches against hand computations."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from splade_rag.train import (
    flops,
    in_batch_ranking_loss,
    l1,
    load_training_data,
    margin_mse,
    regularization,
    warmed_up_weight,
)
from splade_rag.train.data import TrainingData, batches
from tests.sample_beir import write_beir


def test_ranking_loss_equals_a_hand_computation() -> None:
    queries = torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]])
    documents = torch.tensor([[1.0, 0.0, 1.0], [0.0, 2.0, 0.0], [1.0, 1.0, 0.0]])
    positives = torch.tensor([0, 1])

    loss = in_batch_ranking_loss(queries, documents, positives)

    # scores: query 0 -> [3, 0, 1], query 1 -> [1, 2, 1]
    by_hand = [
        -math.log(math.exp(3) / (math.exp(3) + math.exp(0) + math.exp(1))),
        -math.log(math.exp(2) / (math.exp(1) + math.exp(2) + math.exp(1))),
    ]
    assert loss.item() == pytest.approx(sum(by_hand) / 2, rel=1e-6)


def test_excluded_documents_do_not_count_as_negatives() -> None:
    queries = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    documents = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0]])
    positives = torch.tensor([0, 1])
    # document 2 is another positive of query 0: it must not push query 0's loss up
    excluded = torch.tensor([[True, False, True], [False, False, False]])

    loss = in_batch_ranking_loss(queries, documents, positives, excluded)

    by_hand = [
        -math.log(math.exp(2) / (math.exp(2) + math.exp(0))),
        -math.log(math.exp(1) / (math.exp(0) + math.exp(1) + math.exp(0))),
    ]
    assert loss.item() == pytest.approx(sum(by_hand) / 2, rel=1e-6)


def test_flops_and_l1_equal_their_definitions() -> None:
    torch.manual_seed(0)
    reps = torch.relu(torch.randn(4, 6))

    means = [sum(float(reps[i, j]) for i in range(4)) / 4 for j in range(6)]
    assert flops(reps).item() == pytest.approx(sum(m * m for m in means), rel=1e-6)
    norms = [sum(float(reps[i, j]) for j in range(6)) for i in range(4)]
    assert l1(reps).item() == pytest.approx(sum(norms) / 4, rel=1e-6)
    assert regularization("flops", reps).item() == flops(reps).item()
    with pytest.raises(ValueError, match="flops, l1"):
        regularization("l2", reps)  # type: ignore[arg-type]


def test_flops_penalises_terms_shared_across_texts_more() -> None:
    spread = torch.eye(4)  # each text its own term
    shared = torch.zeros(4, 4)
    shared[:, 0] = 1.0  # every text the same term: an inverted list as long as the batch

    assert flops(shared).item() == pytest.approx(1.0)
    assert flops(spread).item() == pytest.approx(4 * (1 / 4) ** 2)


def test_regulariser_weight_warms_up_quadratically() -> None:
    assert warmed_up_weight(0.1, 5, 10) == pytest.approx(0.1 * 0.25)
    assert warmed_up_weight(0.1, 10, 10) == pytest.approx(0.1)
    assert warmed_up_weight(0.1, 50, 10) == pytest.approx(0.1)
    assert warmed_up_weight(0.1, 1, 0) == pytest.approx(0.1)


def test_margin_mse_compares_margins() -> None:
    loss = margin_mse(
        torch.tensor([5.0, 2.0]),
        torch.tensor([1.0, 1.0]),
        torch.tensor([10.0, 4.0]),
        torch.tensor([7.0, 2.0]),
    )
    # student margins 4 and 1, teacher margins 3 and 2
    assert loss.item() == pytest.approx(((4 - 3) ** 2 + (1 - 2) ** 2) / 2)


def test_in_batch_negatives_count_every_document_of_the_batch() -> None:
    data = TrainingData(
        "toy",
        queries={f"q{i}": f"query {i}" for i in range(4)},
        documents={f"d{i}": f"doc {i}" for i in range(12)},
        positives={f"q{i}": [f"d{i}"] for i in range(4)},
        negatives={f"q{i}": [f"d{4 + 2 * i}", f"d{5 + 2 * i}"] for i in range(4)},
    )
    batch = next(batches(data, batch_size=4, negatives_per_query=2, seed=0))

    assert len(batch.document_ids) == 4 + 4 * 2
    assert batch.document_ids[:4] == [f"d{q[1:]}" for q in batch.query_ids]
    for query, rows in zip(batch.query_ids, batch.negatives, strict=True):
        assert {batch.document_ids[r] for r in rows} <= set(data.negatives[query])

    # with equal scores the loss is the log of the number of candidates: all 12 count
    zeros = torch.zeros(4, 3)
    loss = in_batch_ranking_loss(zeros, torch.zeros(12, 3), torch.arange(4))
    assert loss.item() == pytest.approx(math.log(12))


def test_batches_are_reproducible_and_cover_every_pair(tmp_path: Path) -> None:
    data = load_training_data(write_beir(tmp_path / "beir", train=True))

    first = [b.query_ids for _, b in zip(range(4), batches(data, 2, 1, seed=3), strict=False)]
    again = [b.query_ids for _, b in zip(range(4), batches(data, 2, 1, seed=3), strict=False)]
    other = [b.query_ids for _, b in zip(range(4), batches(data, 2, 1, seed=4), strict=False)]

    assert first == again
    assert first != other
    # the 5 train pairs in batches of 2: an epoch is 2 batches, no pair twice within it
    epoch = [q for ids in first[:2] for q in ids]
    assert len(set(epoch)) == 4
