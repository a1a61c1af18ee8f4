"""Evaluation on BEIR-layout collections: every mode through the real store, tuned fusion.

`evaluate(folder)` indexes a collection once (cached on disk), runs each mode's searches
through `SpladeStore`, scores them with ir-measures and tests each against the best single
arm. `splade-rag eval` is its command line.
"""

from splade_rag.eval.beir import BeirData, load_beir
from splade_rag.eval.evaluate import evaluate
from splade_rag.eval.index import EvalIndex, IndexSettings
from splade_rag.eval.metrics import METRICS, Scores, score_run
from splade_rag.eval.modes import EvalMode, default_modes, parse_mode
from splade_rag.eval.report import as_json, markdown, write_report
from splade_rag.eval.runner import EvalReport, ModeResult

__all__ = [
    "METRICS",
    "BeirData",
    "EvalIndex",
    "EvalMode",
    "EvalReport",
    "IndexSettings",
    "ModeResult",
    "Scores",
    "as_json",
    "default_modes",
    "evaluate",
    "load_beir",
    "markdown",
    "parse_mode",
    "score_run",
    "write_report",
]
