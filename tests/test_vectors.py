from __future__ import annotations

import numpy as np
import pytest
from qdrant_client import models

from splade_rag.vectors import SparseVector

VOCAB = ("[PAD]", "capital", "france", "paris", "city", "the")


def test_from_pairs_sorts_merges_and_drops_zeros() -> None:
    vector = SparseVector.from_pairs([4, 1, 4, 2], [0.5, 2.0, 0.25, 0.0])

    assert vector.indices.tolist() == [1, 4]
    assert vector.values.tolist() == [2.0, 0.75]
    assert vector.indices.dtype == np.int32
    assert vector.values.dtype == np.float32


def test_constructor_rejects_unsorted_or_mismatched_input() -> None:
    with pytest.raises(ValueError, match="sorted"):
        SparseVector(np.array([3, 1]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="one length"):
        SparseVector(np.array([1, 3]), np.array([1.0]))


def test_vectors_are_immutable() -> None:
    vector = SparseVector.from_dict({1: 1.0})
    with pytest.raises(ValueError, match="read-only"):
        vector.values[0] = 5.0


def test_dict_qdrant_and_scipy_round_trips() -> None:
    vector = SparseVector.from_dict({3: 0.5, 1: 2.5}, vocab=VOCAB)

    assert vector.to_dict() == {1: 2.5, 3: 0.5}
    assert SparseVector.from_dict(vector.to_dict()) == vector

    qdrant = vector.to_qdrant()
    assert isinstance(qdrant, models.SparseVector)
    assert qdrant.indices == [1, 3]
    assert SparseVector.from_qdrant(qdrant) == vector

    matrix = vector.to_scipy()
    assert matrix.shape == (1, len(VOCAB))
    assert matrix.toarray().tolist() == [[0.0, 2.5, 0.0, 0.5, 0.0, 0.0]]
    assert SparseVector.from_scipy(matrix) == vector


def test_to_scipy_rejects_a_too_small_dimension() -> None:
    with pytest.raises(ValueError, match="too small"):
        SparseVector.from_dict({5: 1.0}).to_scipy(dim=3)


def test_prune_by_top_k_and_min_weight() -> None:
    vector = SparseVector.from_dict({1: 3.0, 2: 1.0, 3: 2.0, 4: 0.1})

    assert vector.prune(top_k=2).to_dict() == {1: 3.0, 3: 2.0}
    assert vector.prune(min_weight=1.0).to_dict() == {1: 3.0, 2: 1.0, 3: 2.0}
    assert vector.prune(top_k=1, min_weight=2.5).to_dict() == {1: 3.0}
    assert vector.prune(top_k=10) is vector


@pytest.mark.parametrize(
    ("options", "message"),
    [({"top_k": 0}, "top_k"), ({"top_k": 1.5}, "top_k"), ({"min_weight": -1.0}, "min_weight")],
)
def test_prune_rejects_invalid_options(options: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SparseVector.from_dict({1: 1.0}).prune(**options)  # type: ignore[arg-type]


def test_decode_orders_terms_by_weight() -> None:
    vector = SparseVector.from_dict({1: 2.5, 2: 3.0, 3: 0.5}, vocab=VOCAB)

    assert vector.decode() == [("france", 3.0), ("capital", 2.5), ("paris", 0.5)]


def test_decode_without_vocabulary_says_what_to_pass() -> None:
    with pytest.raises(ValueError, match="vocab="):
        SparseVector.from_dict({1: 1.0}).decode()
    assert SparseVector.from_dict({1: 1.0}).decode(VOCAB) == [("capital", 1.0)]


def test_dot_and_matched_terms() -> None:
    query = SparseVector.from_dict({1: 2.0, 2: 1.0, 5: 0.5}, vocab=VOCAB)
    document = SparseVector.from_dict({1: 1.5, 3: 4.0, 5: 3.0}, vocab=VOCAB)

    assert query.dot(document) == pytest.approx(2.0 * 1.5 + 0.5 * 3.0)
    assert query.matched_terms(document) == [
        ("capital", 2.0, 1.5, 3.0),
        ("the", 0.5, 3.0, 1.5),
    ]
    assert SparseVector.empty().dot(document) == 0.0
