"""`evaluate`: every requested mode of one BEIR collection, optionally with tuned fusion."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from splade_rag.eval.beir import BeirData, load_beir
from splade_rag.eval.index import EvalIndex, IndexSettings
from splade_rag.eval.metrics import paired_test
from splade_rag.eval.modes import EvalMode, default_modes, parse_mode
from splade_rag.eval.runner import EvalReport, ModeResult, hold_out, run_modes
from splade_rag.eval.tune import tune_arms

__all__ = ["TRAIN_SPLIT", "evaluate"]

logger = logging.getLogger(__name__)

TRAIN_SPLIT = "train"


def evaluate(
    folder: str | Path,
    *,
    modes: Sequence[str | EvalMode] | None = None,
    split: str = "test",
    settings: IndexSettings | None = None,
    tune: bool = False,
    tune_fraction: float = 0.5,
    cache: Path | None = None,
    show_progress: bool | None = None,
) -> EvalReport:
    """Evaluate modes on a BEIR folder through the store; with `tune`, add tuned hybrids.

    Tuning uses the `train` split when the folder has one (and it is not the one evaluated),
    else a held-out `tune_fraction` of the queries, which are then left out of every row.

    Args:
        folder: the BEIR folder.
        modes: mode names (see `splade_rag.eval.modes`); default every arm, the bm25s
            reference, the default hybrid and every hybrid of the arms with each fusion.
        split: the judgements to report (`qrels/<split>.tsv`).
        settings: models and index settings.
        tune: choose fusion parameters for every set of two or more arms.
        tune_fraction: the share of the queries held out for tuning with no train split.
        cache: the cache folder for indexes and query vectors.
        show_progress: progress bars (default: at INFO logging, for long work).
    """
    data = load_beir(folder, split)
    index = EvalIndex(data, settings, cache=cache)
    try:
        chosen = _modes(modes, index.arms)
        reported = dict(data.queries)
        notes = _data_notes(data)
        tuning_data: BeirData | None = None
        if tune:
            if TRAIN_SPLIT in data.splits and split != TRAIN_SPLIT:
                tuning_data = load_beir(folder, TRAIN_SPLIT)
                notes.append(f"tuned on the {len(tuning_data.queries)} train queries")
            else:
                tune_ids, kept = hold_out(data, tune_fraction)
                tuning_data = _subset(data, tune_ids)
                reported = {q: data.queries[q] for q in kept}
                notes.append(
                    f"no train split: tuned on {len(tune_ids)} held-out queries, reported on "
                    f"the other {len(kept)}"
                )

        rows, best = run_modes(index, chosen, reported, data.qrels, show_progress=show_progress)
        terms = None
        if any("sparse" in mode.arms for mode in chosen):
            terms = round(index.sparse_terms(), 1)
            unit = "chunk" if index.settings.chunk_size else "document"
            notes.append(f"SPLADE vectors: {terms} terms per indexed {unit} on average")
        tuning = []
        if tuning_data is not None:
            sets = sorted({m.arms for m in chosen if len(m.arms) > 1}, key=len) or [index.arms]
            for arms in sets:
                tuning.append(tune_arms(index, arms, tuning_data.queries, tuning_data.qrels))
            tuned, _ = run_modes(
                index, [t.mode() for t in tuning], reported, data.qrels, show_progress=False
            )
            if best is not None:
                reference = next(r for r in rows if r.name == best)
                for row in tuned:
                    row.p_value = paired_test(row.scores, reference.scores)
            rows.extend(tuned)
        return EvalReport(
            data=data.name,
            split=split,
            queries=len(reported),
            rows=rows,
            best_single=best,
            settings={
                **asdict(index.settings),
                "bm25": index.bm25.to_dict(),
                "sparse_terms_per_point": terms,
            },
            tuning=tuning,
            notes=notes,
        )
    finally:
        index.close()


def best_hybrid(report: EvalReport, prefix: str = "tuned:") -> ModeResult | None:
    """The best row whose name starts with `prefix`, by nDCG@10."""
    rows = [row for row in report.rows if row.name.startswith(prefix)]
    return max(rows, key=lambda r: r.scores.mean["nDCG@10"]) if rows else None


def _modes(modes: Sequence[str | EvalMode] | None, arms: tuple[str, ...]) -> list[EvalMode]:
    if modes is None:
        return default_modes(arms)
    chosen = [m if isinstance(m, EvalMode) else parse_mode(m, arms) for m in modes]
    for mode in chosen:
        missing = [arm for arm in mode.arms if arm not in arms]
        if missing:
            raise ValueError(
                f"mode {mode.name!r} needs the {missing[0]} arm, which this evaluation does "
                "not index (drop --no-dense, or leave the mode out)"
            )
    if not chosen:
        raise ValueError("no modes to evaluate: give at least one, e.g. --modes sparse,bm25")
    return chosen


def _subset(data: BeirData, query_ids: Sequence[str]) -> BeirData:
    return BeirData(
        data.folder,
        data.split,
        data.documents,
        {q: data.queries[q] for q in query_ids},
        {q: data.qrels[q] for q in query_ids},
        splits=data.splits,
    )


def _data_notes(data: BeirData) -> list[str]:
    notes = []
    if data.unknown_documents or data.unknown_queries:
        notes.append(
            f"{data.unknown_documents} judgements naming unknown documents and "
            f"{data.unknown_queries} naming unknown queries were left out"
        )
    return notes
