"""Evaluation output: a Markdown table, JSON, and a report folder with PNG plots."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from splade_rag.eval.metrics import METRICS
from splade_rag.eval.runner import EvalReport
from splade_rag.eval.tune import TuneResult

__all__ = ["as_json", "markdown", "write_report"]

SIGNIFICANT = 0.05


def markdown(report: EvalReport) -> str:
    """The report as a Markdown section: one row per mode, best single arm marked."""
    lines = [
        f"### {report.data} ({report.split} split, {report.queries} queries)",
        "",
        "| mode | " + " | ".join(METRICS) + " | vs best single (p) | seconds |",
        "| --- |" + " ---: |" * (len(METRICS) + 2),
    ]
    best = report.row(report.best_single).scores.mean["nDCG@10"] if report.best_single else None
    for row in report.rows:
        name = f"**{row.name}**" if row.name == report.best_single else row.name
        cells = [f"{row.scores.mean[m]:.4f}" for m in METRICS]
        if row.p_value is None or best is None:
            versus = "(best single)" if row.name == report.best_single else "-"
        else:
            delta = row.scores.mean["nDCG@10"] - best
            mark = " *" if row.p_value < SIGNIFICANT else ""
            versus = f"{delta:+.4f} ({row.p_value:.3f}){mark}"
        lines.append(f"| {name} | {' | '.join(cells)} | {versus} | {row.seconds:.1f} |")
    lines.append("")
    lines.append(
        "`vs best single`: nDCG@10 difference to the best single arm and the p-value of a "
        "paired t-test over queries (* below 0.05)."
    )
    for result in report.tuning:
        lines.append(
            f"- tuned {'+'.join(result.arms)}: {_options(result.best.options)} "
            f"(tuning nDCG@10 {result.best.ndcg:.4f})"
        )
    lines.extend(f"- {note}" for note in report.notes)
    return "\n".join(lines) + "\n"


def as_json(reports: Sequence[EvalReport]) -> list[dict[str, Any]]:
    """The reports as JSON-ready dicts (means only, plus tuning trials)."""
    out = []
    for report in reports:
        out.append(
            {
                "data": report.data,
                "split": report.split,
                "queries": report.queries,
                "best_single": report.best_single,
                "settings": report.settings,
                "notes": report.notes,
                "rows": [
                    {
                        "mode": row.name,
                        "arms": list(row.mode.arms),
                        "options": row.mode.options,
                        **row.scores.mean,
                        "p_value": row.p_value,
                        "seconds": row.seconds,
                    }
                    for row in report.rows
                ],
                "tuning": [_tuning_json(result) for result in report.tuning],
            }
        )
    return out


def write_report(reports: Sequence[EvalReport], folder: Path, command: str) -> list[Path]:
    """Write `report.md`, `report.json` and PNG plots into `folder`; returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    text = [f"# splade-rag evaluation\n\nCommand: `{command}`\n"]
    for report in reports:
        text.append(markdown(report))
        bars = folder / f"{report.data}-modes.png"
        _plot_modes(report, bars)
        text.append(f"![nDCG@10 per mode on {report.data}]({bars.name})\n")
        written.append(bars)
        if report.tuning:
            curve = folder / f"{report.data}-tuning.png"
            _plot_tuning(report.data, report.tuning, curve)
            text.append(f"![tuning curves on {report.data}]({curve.name})\n")
            written.append(curve)
    (folder / "report.md").write_text("\n".join(text), encoding="utf-8")
    (folder / "report.json").write_text(json.dumps(as_json(reports), indent=2), encoding="utf-8")
    return [folder / "report.md", folder / "report.json", *written]


def _options(options: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in options.items())


def _tuning_json(result: TuneResult) -> dict[str, Any]:
    return {
        "arms": list(result.arms),
        "best": asdict(result.best),
        "trials": [asdict(trial) for trial in result.trials],
    }


def _steps(result: TuneResult, step: str) -> list[Any]:
    return [trial for trial in result.trials if trial.step == step]


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError("plots need matplotlib: pip install 'splade-rag[eval]'") from error
    return plt


def _plot_modes(report: EvalReport, path: Path) -> None:
    plt = _pyplot()
    names = [row.name for row in report.rows]
    values = [row.scores.mean["nDCG@10"] for row in report.rows]
    colours = ["tab:orange" if row.mode.is_single else "tab:blue" for row in report.rows]
    figure, axes = plt.subplots(figsize=(8, 0.3 * len(names) + 1.2))
    axes.barh(names[::-1], values[::-1], color=colours[::-1])
    axes.set_xlabel("nDCG@10")
    axes.set_title(f"{report.data}: nDCG@10 per mode ({report.queries} queries)")
    for position, value in enumerate(values[::-1]):
        axes.text(value, position, f" {value:.3f}", va="center", fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _plot_tuning(name: str, results: Sequence[TuneResult], path: Path) -> None:
    """Tuning nDCG@10 against RRF's k and against the first arm's convex/RRF weight."""
    plt = _pyplot()
    figure, (by_k, by_weight) = plt.subplots(1, 2, figsize=(10, 3.6))
    for number, result in enumerate(results):
        label = "+".join(result.arms)
        colour = f"C{number}"
        ks = [(t.options["rrf_k"], t.ndcg) for t in _steps(result, "rrf k")]
        by_k.plot(*zip(*ks, strict=True), marker="o", color=colour, label=label)
        if len(result.arms) == 2:
            for step, style in (("rrf weights", "--"), ("convex weights", "-")):
                pairs = [
                    (t.options["weights"][0], t.ndcg) for t in result.trials if t.step == step
                ]
                if pairs:
                    by_weight.plot(
                        *zip(*sorted(pairs), strict=True),
                        style,
                        color=colour,
                        marker=".",
                        label=f"{label} {step.split()[0]}",
                    )
    by_k.set_xscale("log")
    by_k.set_xlabel("RRF k (equal weights)")
    by_k.set_ylabel("tuning nDCG@10")
    by_weight.set_xlabel("weight of the first arm (second: 1 - weight)")
    for axes in (by_k, by_weight):
        axes.grid(alpha=0.3)
        axes.legend(fontsize=7)
    figure.suptitle(f"{name}: fusion parameters on the tuning queries")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
