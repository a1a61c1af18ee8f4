"""Search requests and results: modes, fusion choices, hits with per-arm scores and reasons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple, get_args

from splade_rag.fusion import FUSIONS, Fusion, convex_combination
from splade_rag.qdrant.backend import Condition, Found, Probe
from splade_rag.qdrant.payload import read_payload
from splade_rag.qdrant.schema import Schema
from splade_rag.vectors import SparseVector

__all__ = [
    "ARMS",
    "MODES",
    "Arm",
    "Hit",
    "SearchMode",
    "SearchPlan",
    "TermMatch",
    "assemble",
    "check_search_options",
    "explain",
    "rank",
]

SearchMode = Literal["sparse", "bm25", "dense", "hybrid"]
MODES: tuple[str, ...] = get_args(SearchMode)
Arm = Literal["sparse", "bm25", "dense"]
ARMS: tuple[str, ...] = get_args(Arm)


class TermMatch(NamedTuple):
    """A term shared by query and document, and its share of the SPLADE score."""

    term: str
    query_weight: float
    document_weight: float
    product: float


@dataclass(frozen=True)
class Hit:
    """One search result.

    `score` is the fused score in hybrid mode, else the arm's own score. `scores` and `ranks`
    (1-based) hold each arm's score and rank for this hit, for the arms whose candidates
    included it. `explanation` lists the matched SPLADE terms, largest product first.
    """

    id: str
    text: str
    metadata: dict[str, Any]
    score: float
    scores: dict[str, float] = field(default_factory=dict)
    ranks: dict[str, int] = field(default_factory=dict)
    explanation: list[TermMatch] | None = None


@dataclass(frozen=True)
class SearchPlan:
    """A search ready to send: one probe per arm and how to combine them."""

    arms: list[Arm]
    probes: list[Probe]
    top_k: int
    where: list[Condition]
    fusion: Fusion | None
    rrf_k: int
    weights: list[float] | None
    score_threshold: float | None

    @property
    def qdrant_fusion(self) -> Literal["rrf", "dbsf"] | None:
        """The fusion Qdrant runs (None for a single arm or for client-side convex fusion)."""
        if self.fusion in ("rrf", "dbsf") and len(self.probes) > 1:
            return self.fusion
        return None

    @property
    def with_payload(self) -> bool:
        """Whether the backend returns payloads: for a single arm only.

        With several arms, the hits' payloads are retrieved afterwards for the top ids alone,
        which is cheaper than carrying every candidate's payload.
        """
        return len(self.probes) == 1

    @property
    def fused_limit(self) -> int:
        """Ask Qdrant for every fused candidate, so ties are cut by id, deterministically."""
        return sum(probe.limit for probe in self.probes)

    def backend_options(self) -> dict[str, Any]:
        """The keyword arguments of `Backend.search` (and `asearch`) besides the probes."""
        return {
            "limit": self.fused_limit,
            "where": self.where,
            "fusion": self.qdrant_fusion,
            "rrf_k": self.rrf_k,
            "weights": self.weights,
            "score_threshold": self.score_threshold,
            "payload": self.with_payload,
        }


def check_search_options(
    mode: str, *, top_k: int, fusion: str, prefetch: int, rrf_k: int, alpha: float | None
) -> None:
    """Reject invalid search options with the argument, the value and what is valid."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    if fusion not in FUSIONS:
        raise ValueError(f"fusion must be one of {', '.join(FUSIONS)}; got {fusion!r}")
    for name, value in (("top_k", top_k), ("prefetch", prefetch), ("rrf_k", rrf_k)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if alpha is not None and not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")


def rank(plan: SearchPlan, results: Sequence[Sequence[Found]]) -> list[tuple[str, float]]:
    """The top `plan.top_k` `(id, score)` of a backend's result lists, best first.

    `results` holds one list per probe, then the fused one when Qdrant fused them. Ties are
    broken by id everywhere, so both backends (and repeated calls) agree.
    """
    per_arm = _per_arm(plan, results)
    if len(plan.arms) == 1:
        ranking = [(f.id, f.score) for f in per_arm[plan.arms[0]]]
    elif plan.qdrant_fusion is not None:
        fused = results[len(plan.arms)]
        ranking = sorted(((f.id, f.score) for f in fused), key=lambda pair: (-pair[1], pair[0]))
    else:
        lists = [[(f.id, f.score) for f in per_arm[arm]] for arm in plan.arms]
        ranking = convex_combination(lists, plan.weights or [1.0 / len(lists)] * len(lists))
        ranking.sort(key=lambda pair: (-pair[1], pair[0]))
        if plan.score_threshold is not None:
            ranking = [pair for pair in ranking if pair[1] >= plan.score_threshold]
    return ranking[: plan.top_k]


def assemble(
    plan: SearchPlan,
    results: Sequence[Sequence[Found]],
    schema: Schema,
    fetched: Mapping[str, Found] | None = None,
) -> list[Hit]:
    """Hits for the top of `results`, payloads from the results or else from `fetched`.

    A backend returns payloads only for a single-arm search (see `SearchPlan.with_payload`);
    otherwise the caller retrieves them for the ranked ids and passes them as `fetched`.
    """
    per_arm = _per_arm(plan, results)
    returned = {f.id: f for arm_results in per_arm.values() for f in arm_results}
    fetched = fetched or {}
    hits = []
    for point_id, score in rank(plan, results):
        source = fetched.get(point_id) or returned[point_id]
        text, metadata = read_payload(schema, source.payload)
        scores: dict[str, float] = {}
        ranks: dict[str, int] = {}
        for arm, arm_results in per_arm.items():
            for position, found in enumerate(arm_results, 1):
                if found.id == point_id:
                    scores[arm], ranks[arm] = found.score, position
                    break
        hits.append(Hit(point_id, text, metadata, score, scores, ranks))
    return hits


def _per_arm(plan: SearchPlan, results: Sequence[Sequence[Found]]) -> dict[str, list[Found]]:
    return {
        arm: sorted(arm_results, key=lambda f: (-f.score, f.id))
        for arm, arm_results in zip(plan.arms, results[: len(plan.arms)], strict=True)
    }


def explain(
    hits: Sequence[Hit], query: SparseVector, stored: Mapping[str, SparseVector]
) -> list[Hit]:
    """Attach the matched SPLADE terms (query weight, document weight, product) to each hit."""
    explained = []
    for hit in hits:
        document = stored.get(hit.id)
        matches = [] if document is None else query.matched_terms(document)
        explained.append(replace(hit, explanation=[TermMatch(*m) for m in matches]))
    return explained
