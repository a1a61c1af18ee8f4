"""Choosing fusion parameters from labelled queries, never from the queries reported.

For each set of arms, a coordinate search through the store: RRF's `k` with equal weights,
then RRF's per-arm weights at the best `k`; convex fusion's weights; DBSF as it is; then the
prefetch depth of the best of these. Every candidate is scored by nDCG@10 on the tuning
queries only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from splade_rag.eval.index import EvalIndex
from splade_rag.eval.metrics import score_run
from splade_rag.eval.modes import EvalMode
from splade_rag.eval.runner import run_mode

__all__ = ["RRF_KS", "Trial", "TuneResult", "tune_arms"]

logger = logging.getLogger(__name__)

RRF_KS = (1, 2, 5, 10, 20, 60)
ALPHAS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
PREFETCHES = (50, 100, 200)
# weight patterns for three arms: equal, one arm doubled, one arm halved
THREE_ARM_WEIGHTS = (
    (1.0, 1.0, 1.0),
    (2.0, 1.0, 1.0),
    (1.0, 2.0, 1.0),
    (1.0, 1.0, 2.0),
    (0.5, 1.0, 1.0),
    (1.0, 0.5, 1.0),
    (1.0, 1.0, 0.5),
)


@dataclass(frozen=True)
class Trial:
    """One candidate setting and its nDCG@10 on the tuning queries."""

    step: str
    options: dict[str, Any]
    ndcg: float


@dataclass
class TuneResult:
    """The chosen setting for one set of arms, and every trial that led to it."""

    arms: tuple[str, ...]
    best: Trial
    trials: list[Trial] = field(default_factory=list)

    def mode(self) -> EvalMode:
        """The tuned setting as an `EvalMode`, named `tuned:<arms>`."""
        return EvalMode(f"tuned:{'+'.join(self.arms)}", self.arms, dict(self.best.options))


def tune_arms(
    index: EvalIndex,
    arms: Sequence[str],
    queries: Mapping[str, str],
    qrels: Mapping[str, Mapping[str, int]],
) -> TuneResult:
    """Tune the fusion of `arms` on `queries` (which must not be the reported ones)."""
    arms = tuple(arms)
    judged = {q: dict(qrels[q]) for q in queries}
    trials: list[Trial] = []

    def trial(step: str, **options: Any) -> Trial:
        mode = EvalMode(f"tuning {step}", arms, options)
        run = run_mode(index, mode, queries, depth=10, show_progress=False)
        result = Trial(step, options, score_run(judged, run).mean["nDCG@10"])
        trials.append(result)
        return result

    def best(candidates: list[Trial]) -> Trial:
        return max(candidates, key=lambda t: t.ndcg)

    rrf_k = best([trial("rrf k", fusion="rrf", rrf_k=k, prefetch=100) for k in RRF_KS])
    chosen = [rrf_k]
    weightings = _weightings(len(arms))
    k = rrf_k.options["rrf_k"]
    chosen.append(
        best(
            [rrf_k]
            + [
                trial("rrf weights", fusion="rrf", rrf_k=k, weights=w, prefetch=100)
                for w in weightings
            ]
        )
    )
    chosen.append(
        best(
            [trial("convex weights", fusion="convex", weights=w, prefetch=100) for w in weightings]
        )
    )
    chosen.append(trial("dbsf", fusion="dbsf", prefetch=100))
    leader = best(chosen)

    depths = [
        trial("prefetch", **{**leader.options, "prefetch": depth})
        for depth in PREFETCHES
        if depth != leader.options["prefetch"]
    ]
    winner = best([leader, *depths])
    logger.info("tuned %s: %s (nDCG@10 %.4f)", "+".join(arms), winner.options, winner.ndcg)
    return TuneResult(arms, winner, trials)


def _weightings(count: int) -> list[list[float]]:
    """Per-arm weight candidates: the first arm's share for two arms, patterns for three."""
    if count == 2:
        return [[alpha, round(1.0 - alpha, 2)] for alpha in ALPHAS]
    if count == 3:
        return [list(w) for w in THREE_ARM_WEIGHTS]
    return [[1.0] * count]
