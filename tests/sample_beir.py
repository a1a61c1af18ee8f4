"""A small BEIR-layout collection built from the bundled sample corpus, for tests."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

QUERIES = {
    "q-paris": ("which city is the capital of france", "paris"),
    "q-bread": ("making bread with wild yeast", "sourdough"),
    "q-plants": ("how do plants turn light into sugar", "photosynthesis"),
    "q-moon": ("apollo 11 landing on the moon", "moon-landing"),
    "q-git": ("replay commits on another branch", "git-rebase"),
    "q-coffee": ("brewing coffee with hot water under pressure", "espresso"),
    "q-tides": ("why the sea level rises and falls", "tides"),
    "q-chess": ("sicilian defence chess opening", "chess-openings"),
}


def write_beir(folder: Path, *, train: bool = False) -> Path:
    """A BEIR folder of the bundled sample corpus, with one relevant document per query."""
    folder.mkdir(parents=True)
    sample = resources.files("splade_rag").joinpath("data/sample_corpus.jsonl")
    lines = []
    for line in sample.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        lines.append(json.dumps({"_id": record["id"], "title": "", "text": record["text"]}))
    (folder / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    queries = [json.dumps({"_id": q, "text": text}) for q, (text, _) in QUERIES.items()]
    (folder / "queries.jsonl").write_text("\n".join(queries) + "\n", encoding="utf-8")
    (folder / "qrels").mkdir()
    rows = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{doc}\t1" for q, (_, doc) in QUERIES.items()]
    (folder / "qrels" / "test.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    if train:
        (folder / "qrels" / "train.tsv").write_text("\n".join(rows[:5]) + "\n", encoding="utf-8")
    return folder
