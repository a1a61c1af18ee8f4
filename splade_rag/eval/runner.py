"""Running modes over a collection's queries through the real store, and scoring them."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from splade_rag.eval.beir import BeirData
from splade_rag.eval.index import EvalIndex, document_scores
from splade_rag.eval.metrics import Run, Scores, paired_test, score_run
from splade_rag.eval.modes import EvalMode
from splade_rag.eval.reference import bm25s_run

__all__ = ["EvalReport", "ModeResult", "hold_out", "run_mode", "run_modes"]

logger = logging.getLogger(__name__)

DEPTH = 100  # documents retrieved per query: Recall@100 needs them all


@dataclass
class ModeResult:
    """One mode's scores, its paired test against the best single arm, and its time."""

    mode: EvalMode
    scores: Scores
    p_value: float | None = None
    seconds: float = 0.0

    @property
    def name(self) -> str:
        """The mode's name."""
        return self.mode.name


@dataclass
class EvalReport:
    """An evaluation of one collection: a row per mode, scored on `queries` queries."""

    data: str
    split: str
    queries: int
    rows: list[ModeResult]
    best_single: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    tuning: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, name: str) -> ModeResult:
        """The row of the mode called `name`."""
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no mode {name!r} in this report; it has {[r.name for r in self.rows]}")


def run_mode(
    index: EvalIndex,
    mode: EvalMode,
    queries: Mapping[str, str],
    *,
    depth: int = DEPTH,
    show_progress: bool | None = None,
) -> Run:
    """Each query's `depth` best documents under `mode`, searched through the store."""
    if mode.is_reference:
        return bm25s_run(index.data.documents, queries, depth)

    store = index.store()
    vectors = index.query_vectors(queries)
    options = mode.search_options()
    options.setdefault("prefetch", depth)
    run: Run = {}
    bar = tqdm(
        queries.items(),
        desc=mode.name,
        disable=_quiet(show_progress, len(queries)),
        leave=False,
    )
    for query_id, text in bar:
        wanted = {arm: v for arm, v in vectors[query_id].items() if arm in mode.arms}
        hits = store.search(text, top_k=depth, query_vectors=wanted, **options)
        run[query_id] = document_scores(hits)
    return run


def run_modes(
    index: EvalIndex,
    modes: Sequence[EvalMode],
    queries: Mapping[str, str],
    qrels: Mapping[str, Mapping[str, int]],
    *,
    show_progress: bool | None = None,
) -> tuple[list[ModeResult], str | None]:
    """Score every mode on `queries`, and test each against the best single arm.

    Each row's `seconds` covers its searches (query vectors given, as encoded beforehand).

    Returns the rows in the order given and the name of the best single arm (by nDCG@10),
    or None when no single arm ran.
    """
    judged = {q: dict(qrels[q]) for q in queries}
    if any(not mode.is_reference for mode in modes):
        index.store()  # build (or open) the index and encode the queries outside the timings
        index.query_vectors(queries)
    rows = []
    for mode in modes:
        start = time.perf_counter()
        run = run_mode(index, mode, queries, show_progress=show_progress)
        rows.append(ModeResult(mode, score_run(judged, run), seconds=time.perf_counter() - start))
        logger.info("%s: nDCG@10 %.4f", mode.name, rows[-1].scores.mean["nDCG@10"])

    singles = [row for row in rows if row.mode.is_single]
    best = max(singles, key=lambda r: r.scores.mean["nDCG@10"]) if singles else None
    if best is not None:
        for row in rows:
            if row is not best:
                row.p_value = paired_test(row.scores, best.scores)
    return rows, best.name if best else None


def hold_out(data: BeirData, fraction: float, seed: int = 0) -> tuple[list[str], list[str]]:
    """Split the judged queries into (tuning, reported) ids: `fraction` of them for tuning."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"the held-out fraction must be between 0 and 1, got {fraction!r}")
    ids = sorted(data.queries)
    random.Random(seed).shuffle(ids)
    cut = max(1, min(len(ids) - 1, round(fraction * len(ids))))
    return sorted(ids[:cut]), sorted(ids[cut:])


def _quiet(show_progress: bool | None, count: int) -> bool:
    if show_progress is not None:
        return not show_progress
    return count < 50 or not logger.isEnabledFor(logging.INFO)
