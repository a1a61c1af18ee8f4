"""Retrieval metrics by ir-measures, averaged over every judged query, and a paired test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from splade_rag.eval.beir import Qrels

__all__ = ["METRICS", "Run", "Scores", "paired_test", "score_run"]

# query id -> document id -> score
Run = dict[str, dict[str, float]]
METRICS = ("nDCG@10", "R@100", "RR@10")


@dataclass
class Scores:
    """A run's metrics: the mean over every judged query, and each query's own values.

    A query the run returns nothing for counts as 0 (ir-measures alone would skip it).
    """

    mean: dict[str, float]
    per_query: dict[str, dict[str, float]]


def score_run(qrels: Qrels, run: Mapping[str, Mapping[str, float]]) -> Scores:
    """nDCG@10, Recall@100 and MRR@10 of a run, computed by ir-measures."""
    try:
        import ir_measures
    except ImportError as error:
        raise ImportError(
            "evaluation needs ir-measures: pip install 'splade-rag[eval]'"
        ) from error

    measures = [ir_measures.parse_measure(name) for name in METRICS]
    per_query: dict[str, dict[str, float]] = {q: dict.fromkeys(METRICS, 0.0) for q in qrels}
    kept = {q: dict(docs) for q, docs in run.items() if q in qrels and docs}
    if kept:
        for metric in ir_measures.iter_calc(measures, qrels, kept):
            per_query[metric.query_id][str(metric.measure)] = float(metric.value)
    mean = {
        name: sum(values[name] for values in per_query.values()) / len(per_query)
        for name in METRICS
    }
    return Scores(mean, per_query)


def paired_test(a: Scores, b: Scores, metric: str = "nDCG@10") -> float:
    """The two-sided p-value of a paired t-test of two runs' per-query values (1.0 if equal)."""
    from scipy import stats

    queries: Sequence[str] = sorted(a.per_query)
    x = [a.per_query[q][metric] for q in queries]
    y = [b.per_query[q][metric] for q in queries]
    if x == y:
        return 1.0
    return float(stats.ttest_rel(x, y).pvalue)
