"""One collection, three doors: nDCG@10 of the same search through LangChain, LlamaIndex, CLI.

Searches an existing collection (index it first with `splade-rag index`) with every test
query of a BEIR folder, through `langchain_splade_rag.SpladeRetriever`,
`llama_index.retrievers.splade_rag.SpladeRetriever` and `splade-rag search --queries`, and
scores each run with ir-measures. The three must agree exactly.

    .venv/bin/splade-rag index ../shared/data/scifact/corpus.jsonl --store /tmp/scifact-index
    .venv/bin/python benchmarks/doors.py ../shared/data/scifact --store /tmp/scifact-index
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import ir_measures
from ir_measures import nDCG
from llama_index.retrievers.splade_rag import SpladeRetriever as LlamaIndexRetriever

from langchain_splade_rag import SpladeRetriever as LangChainRetriever
from splade_rag import SpladeStore
from splade_rag.dense import DenseEncoder
from splade_rag.encoder import SpladeEncoder
from splade_rag.models import choose_dense_model, choose_model

TOP_K = 10


def test_queries(data: Path, split: str) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """The queries that have judgements in `split`, and the judgements."""
    qrels: dict[str, dict[str, int]] = {}
    lines = (data / "qrels" / f"{split}.tsv").read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        query_id, doc_id, score = line.split("\t")
        qrels.setdefault(query_id, {})[doc_id] = int(score)
    queries = {}
    for line in (data / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["_id"] in qrels:
            queries[record["_id"]] = record["text"]
    return queries, qrels


def run_of(ranked: Iterable[tuple[str, list[tuple[str, float]]]]) -> dict[str, dict[str, float]]:
    """An ir-measures run from (query id, [(doc id, score)]): a document's best chunk counts."""
    run: dict[str, dict[str, float]] = {}
    for query_id, hits in ranked:
        docs = run.setdefault(query_id, {})
        for doc_id, score in hits:
            docs[doc_id] = max(score, docs.get(doc_id, float("-inf")))
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("data", type=Path, help="BEIR folder (queries.jsonl, qrels/)")
    parser.add_argument("--store", required=True, help="the indexed store folder")
    parser.add_argument("--collection", default="splade_rag")
    parser.add_argument("--split", default="test")
    parser.add_argument("--mode", default="hybrid")
    args = parser.parse_args()

    queries, qrels = test_queries(args.data, args.split)
    # the models the CLI picks, so that all three doors encode queries alike
    store = SpladeStore(
        args.store,
        collection=args.collection,
        encoder=SpladeEncoder(choose_model(None)[0]),
        dense=DenseEncoder(choose_dense_model(None)[0]),
    )
    langchain = LangChainRetriever(store=store, mode=args.mode, k=TOP_K)
    by_langchain = run_of(
        (q, [(d.metadata["doc_id"], d.metadata["score"]) for d in langchain.invoke(text)])
        for q, text in queries.items()
    )
    llamaindex = LlamaIndexRetriever(store, mode=args.mode, similarity_top_k=TOP_K)
    by_llamaindex = run_of(
        (q, [(n.node.metadata["doc_id"], float(n.score or 0)) for n in llamaindex.retrieve(t)])
        for q, t in queries.items()
    )
    store.close()  # the embedded store is open in one process at a time

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as file:
        for query_id, text in queries.items():
            file.write(json.dumps({"_id": query_id, "text": text}) + "\n")
    command = [
        str(Path(sys.executable).parent / "splade-rag"),
        "search",
        "--queries",
        file.name,
        "--store",
        args.store,
        "--collection",
        args.collection,
        "--mode",
        args.mode,
        "--top-k",
        str(TOP_K),
        "--json",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    by_cli = run_of(
        (q, [(hit["metadata"]["doc_id"], hit["score"]) for hit in hits])
        for q, hits in json.loads(output).items()
    )

    print(f"{args.data.name}, {len(queries)} {args.split} queries, mode {args.mode}, top {TOP_K}")
    print("| door | nDCG@10 |\n| --- | ---: |")
    scores = {}
    for door, run in (("LangChain", by_langchain), ("LlamaIndex", by_llamaindex), ("CLI", by_cli)):
        scores[door] = ir_measures.calc_aggregate([nDCG @ 10], qrels, run)[nDCG @ 10]
        print(f"| {door} | {scores[door]:.4f} |")
    same = by_langchain == by_llamaindex == by_cli
    print(f"\nidentical rankings and scores through all three doors: {same}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
