from __future__ import annotations

import math
import random

import pytest
from qdrant_client.http import models
from qdrant_client.hybrid import fusion as qdrant_fusion

from splade_rag.fusion import (
    DEFAULT_RRF_K,
    convex_combination,
    distribution_based_fusion,
    reciprocal_rank_fusion,
)

# two result lists, best first: "b" is found by both
FIRST = [("a", 3.0), ("b", 2.0), ("c", 1.0)]
SECOND = [("b", 10.0), ("d", 4.0)]

Ranking = list[tuple[int, float]]


def _assert_ranking(fused: list[tuple[str, float]], expected: list[tuple[str, float]]) -> None:
    """Same keys in the same order, and the same scores to float precision."""
    assert [key for key, _ in fused] == [key for key, _ in expected]
    assert [score for _, score in fused] == pytest.approx([score for _, score in expected])


def test_rrf_scores_one_over_k_plus_rank_minus_one() -> None:
    fused = reciprocal_rank_fusion([FIRST, SECOND])

    # k = 2: rank r scores 1 / (r + 1)
    _assert_ranking(fused, [("b", 1 / 3 + 1 / 2), ("a", 1 / 2), ("d", 1 / 3), ("c", 1 / 4)])
    assert DEFAULT_RRF_K == 2


def test_rrf_uses_the_k_it_is_given() -> None:
    fused = dict(reciprocal_rank_fusion([FIRST, SECOND], k=60))

    assert fused["a"] == pytest.approx(1 / 60)
    assert fused["b"] == pytest.approx(1 / 61 + 1 / 60)
    assert fused["c"] == pytest.approx(1 / 62)
    assert fused["d"] == pytest.approx(1 / 61)


def test_weighted_rrf_divides_the_rank_by_the_weight() -> None:
    fused = reciprocal_rank_fusion([FIRST, SECOND], weights=[2.0, 0.5])

    # 1 / (r / w + k - 1) with k = 2
    _assert_ranking(
        fused,
        [("b", 1 / (2 / 2 + 1) + 1 / (1 / 0.5 + 1)), ("a", 1 / 1.5), ("c", 1 / 2.5), ("d", 1 / 5)],
    )


def test_rrf_with_weight_zero_ignores_that_list() -> None:
    fused = dict(reciprocal_rank_fusion([FIRST, SECOND], weights=[1.0, 0.0]))

    assert fused["a"] == pytest.approx(1 / 2)
    assert fused["b"] == pytest.approx(1 / 3)
    assert fused["c"] == pytest.approx(1 / 4)
    assert fused.get("d", 0.0) == 0.0


@pytest.mark.parametrize("k", [0, -1.0, 0.5, math.nan])
def test_rrf_rejects_k_below_one(k: float) -> None:
    # Qdrant's minimum is k = 1; below it a weight > 1 makes 1 / (r / w + k - 1) blow up
    with pytest.raises(ValueError, match="RRF k"):
        reciprocal_rank_fusion([FIRST, SECOND], k=k, weights=[2.0, 1.0])


def test_fusion_rejects_a_wrong_number_of_weights() -> None:
    with pytest.raises(ValueError, match="got 1 fusion weights for 2 result lists"):
        reciprocal_rank_fusion([FIRST, SECOND], weights=[1.0])
    with pytest.raises(ValueError, match="got 3 fusion weights for 2 result lists"):
        convex_combination([FIRST, SECOND], weights=[0.5, 0.25, 0.25])


@pytest.mark.parametrize("weights", [[1.0, -0.5], [1.0, math.inf], [math.nan, 1.0]])
def test_fusion_rejects_negative_or_non_finite_weights(weights: list[float]) -> None:
    with pytest.raises(ValueError, match="weights must be finite and >= 0"):
        reciprocal_rank_fusion([FIRST, SECOND], weights=weights)
    with pytest.raises(ValueError, match="weights must be finite and >= 0"):
        convex_combination([FIRST, SECOND], weights=weights)


def test_dbsf_maps_mean_plus_minus_three_sample_std_to_unit_range() -> None:
    fused = distribution_based_fusion([FIRST, SECOND])

    # FIRST: mean 2, sample std 1, so [-1, 5] maps to [0, 1]
    # SECOND: two scores sit one std / sqrt(2) each side of the mean
    _assert_ranking(
        fused,
        [
            ("b", 3 / 6 + 0.5 + math.sqrt(2) / 12),
            ("a", 4 / 6),
            ("d", 0.5 - math.sqrt(2) / 12),
            ("c", 2 / 6),
        ],
    )


def test_dbsf_gives_half_to_a_single_item_or_equal_scores() -> None:
    assert distribution_based_fusion([[("a", 7.0)]]) == [("a", 0.5)]
    assert distribution_based_fusion([[("a", 2.0), ("b", 2.0)], []]) == [("a", 0.5), ("b", 0.5)]


def test_convex_combination_weighs_min_max_normalised_scores() -> None:
    first = [("a", 10.0), ("b", 6.0), ("c", 2.0)]
    second = [("b", 0.9), ("d", 0.3)]

    fused = convex_combination([first, second], weights=[0.7, 0.3])

    # first: a 1, b 0.5, c 0; second: b 1, d 0; "a" is missing from second and gets 0 there
    _assert_ranking(fused, [("a", 0.7), ("b", 0.7 * 0.5 + 0.3), ("c", 0.0), ("d", 0.0)])


def _random_rankings(rng: random.Random) -> list[Ranking]:
    rankings: list[Ranking] = []
    for _ in range(rng.randint(1, 4)):
        ids = rng.sample(range(30), rng.choice([0, 1, 2, 5, 12]))
        if rng.random() < 0.2:
            scores = [1.5] * len(ids)
        else:
            scores = sorted((rng.uniform(-5.0, 20.0) for _ in ids), reverse=True)
        rankings.append(list(zip(ids, scores, strict=True)))
    return rankings


def _as_points(rankings: list[Ranking]) -> list[list[models.ScoredPoint]]:
    """Fresh points every call: qdrant-client's fusion overwrites their scores."""
    return [
        [models.ScoredPoint(id=key, version=0, score=score) for key, score in ranking]
        for ranking in rankings
    ]


def _assert_same(ours: list[tuple[int, float]], theirs: list[models.ScoredPoint]) -> None:
    assert [key for key, _ in ours] == [point.id for point in theirs]
    assert [score for _, score in ours] == pytest.approx(
        [point.score for point in theirs], abs=1e-9, rel=0
    )


@pytest.mark.parametrize("seed", range(20))
def test_fusions_agree_with_qdrant_client(seed: int) -> None:
    rng = random.Random(seed)
    rankings = _random_rankings(rng)
    weights = [rng.choice([0.0, 0.5, 1.0, 2.5]) for _ in rankings]
    k = rng.randint(1, 60)

    qdrant_rrf = qdrant_fusion.reciprocal_rank_fusion(
        _as_points(rankings), limit=100, ranking_constant_k=k, weights=weights
    )
    qdrant_dbsf = qdrant_fusion.distribution_based_score_fusion(_as_points(rankings), limit=100)

    _assert_same(reciprocal_rank_fusion(rankings, k=k, weights=weights), qdrant_rrf)
    _assert_same(distribution_based_fusion(rankings), qdrant_dbsf)
