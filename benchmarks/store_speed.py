"""Store benchmark: query latency, upsert throughput and size on disk, Edge vs local mode.

Synthetic SPLADE-like collections (Zipf-distributed term ids, ~120 terms a document, 384-d
dense vectors) at several sizes, plus one real collection from ../shared/data encoded with
the offline models. Both backends run the same searches through splade-rag's own backend
code, in this one process; latencies exclude query encoding. Sparse recall@10 is measured
against an exact scipy dot-product ranking.

    .venv/bin/python benchmarks/store_speed.py                       # 10k and 100k, SciFact
    .venv/bin/python benchmarks/store_speed.py --sizes 10000 --real-docs 0   # quick
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from qdrant_client import QdrantClient
from scipy import sparse

from splade_rag.fusion import Fusion
from splade_rag.qdrant import Backend, Point, Probe
from splade_rag.qdrant.client import ClientBackend
from splade_rag.qdrant.edge import EdgeBackend
from splade_rag.qdrant.schema import Schema
from splade_rag.retrieval import Arm, Hit, SearchPlan, assemble, rank
from splade_rag.vectors import SparseVector

VOCAB = 30522
DENSE = 384
SCHEMA = Schema(bm25=None, dense_size=DENSE)


def synthetic(count: int, terms: int, seed: int) -> tuple[list[SparseVector], np.ndarray]:
    """SPLADE-like sparse vectors (Zipf term ids, positive weights) and unit dense vectors."""
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(1.0 / np.arange(1, VOCAB + 1) ** 0.8)
    cumulative /= cumulative[-1]
    permutation = rng.permutation(VOCAB)
    vectors = []
    for _ in range(count):
        size = int(np.clip(rng.normal(terms, terms / 4), 5, 3 * terms))
        ranks = np.minimum(np.searchsorted(cumulative, rng.random(size)), VOCAB - 1)
        ids = permutation[np.unique(ranks)]
        weights = rng.lognormal(mean=-0.3, sigma=0.6, size=ids.size).astype(np.float32)
        vectors.append(SparseVector.from_pairs(ids, weights))
    dense = rng.normal(size=(count, DENSE)).astype(np.float32)
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    return vectors, dense


def fill(backend: Backend, vectors: list[SparseVector], dense: np.ndarray) -> float:
    """Create the collection and upsert everything in batches; returns points per second."""
    backend.create(SCHEMA, {"benchmark": True})
    start = time.perf_counter()
    for first in range(0, len(vectors), 1000):
        backend.upsert(
            [
                Point(
                    f"00000000-0000-0000-0000-{i:012d}",
                    {"splade": vectors[i], "dense": dense[i]},
                    {"text": f"doc {i}", "metadata": {"n": i}},
                )
                for i in range(first, min(first + 1000, len(vectors)))
            ]
        )
    return len(vectors) / (time.perf_counter() - start)


def latencies(run: Callable[[int], object], queries: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds over `queries` calls (after two warm-up calls)."""
    run(0)
    run(1)
    times = []
    for q in range(queries):
        start = time.perf_counter()
        run(q)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def recall_at_10(
    backend: Backend, vectors: list[SparseVector], queries: list[SparseVector]
) -> float:
    """Share of the exact top 10 (ties counted as equal) that sparse search returns."""
    rows = sparse.vstack([v.to_scipy(VOCAB) for v in vectors]).tocsr()
    found = total = 0
    for query in queries:
        exact = (rows @ query.to_scipy(VOCAB).T).toarray().ravel()
        tenth = np.sort(exact)[-10]
        hits = backend.search([Probe("splade", query, 10)], limit=10)[0]
        found += sum(exact[int(h.id.split("-")[-1])] >= tenth - 1e-4 for h in hits)
        total += 10
    return found / total


def size_on_disk(path: Path) -> str:
    out = subprocess.run(["du", "-sh", str(path)], capture_output=True, text=True, check=True)
    return out.stdout.split()[0]


def plan(probes: list[Probe], top_k: int = 10) -> SearchPlan:
    """A search as `SpladeStore._plan` makes it: RRF inside Qdrant when there are two arms."""
    arms: list[Arm] = ["sparse", "dense"][: len(probes)]  # type: ignore[assignment]
    fusion: Fusion | None = "rrf" if len(probes) > 1 else None
    return SearchPlan(arms, probes, top_k, [], fusion, 2, None, None)


def execute(backend: Backend, search: SearchPlan) -> list[Hit]:
    """What `SpladeStore.search` does after encoding: one batch query, then top payloads."""
    results = backend.search(
        search.probes,
        limit=search.fused_limit,
        fusion=search.qdrant_fusion,
        payload=search.with_payload,
    )
    fetched = {}
    if not search.with_payload:
        ids = [point_id for point_id, _ in rank(search, results)]
        fetched = {found.id: found for found in backend.retrieve(ids)}
    return assemble(search, results, SCHEMA, fetched)


def measure(
    backend: Backend,
    queries: int,
    query_vectors: list[SparseVector],
    query_dense: np.ndarray,
    vectors: list[SparseVector],
) -> dict[str, object]:
    """Sparse and hybrid latency percentiles and sparse recall@10 of one filled backend.

    Sparse asks for 20 candidates (as the store does for top 10, to settle ties by id);
    hybrid prefetches 100 from each arm and fuses them by RRF inside Qdrant.
    """

    def sparse_query(q: int) -> object:
        return execute(backend, plan([Probe("splade", query_vectors[q], 20)]))

    def hybrid_query(q: int) -> object:
        probes = [Probe("splade", query_vectors[q], 100), Probe("dense", query_dense[q], 100)]
        return execute(backend, plan(probes))

    sparse_p50, sparse_p95 = latencies(sparse_query, queries)
    hybrid_p50, hybrid_p95 = latencies(hybrid_query, queries)
    return {
        "queries": queries,
        "sparse p50": sparse_p50,
        "sparse p95": sparse_p95,
        "hybrid p50": hybrid_p50,
        "hybrid p95": hybrid_p95,
        "recall@10": recall_at_10(backend, vectors, query_vectors[: min(queries, 20)]),
    }


def bench_size(count: int, args: argparse.Namespace, rows: list[dict[str, object]]) -> None:
    """Edge as ingested, Edge after `optimize()`, and local mode on one synthetic collection."""
    vectors, dense = synthetic(count, args.terms, seed=count)
    query_vectors, query_dense = synthetic(args.queries, args.query_terms, seed=7)
    name = f"synthetic {count // 1000}k"
    root = Path(tempfile.mkdtemp(prefix="splade-bench-"))

    def row(backend: str, **figures: object) -> None:
        rows.append({"collection": name, "backend": backend, **figures})
        print(json.dumps(rows[-1], default=str), flush=True)

    try:
        edge = EdgeBackend(root / "edge", "bench")
        rate = fill(edge, vectors, dense)
        row(
            "edge",
            **measure(edge, args.queries, query_vectors, query_dense, vectors),
            **{"upsert/s": round(rate), "disk": size_on_disk(root / "edge"), "optimize s": "-"},
        )
        start = time.perf_counter()
        edge.optimize()
        optimized = time.perf_counter() - start
        row(
            "edge, optimized",
            **measure(edge, args.queries, query_vectors, query_dense, vectors),
            **{
                "upsert/s": "-",
                "disk": size_on_disk(root / "edge"),
                "optimize s": round(optimized, 1),
            },
        )
        edge.close()

        # in memory: local mode's on-disk writes run at ~90 points/s here
        local = ClientBackend(QdrantClient(":memory:"), "bench", owns_clients=True)
        rate = fill(local, vectors, dense)
        queries = min(args.queries, args.local_queries)
        row(
            "local",
            **measure(local, queries, query_vectors, query_dense, vectors),
            **{"upsert/s": round(rate), "disk": "(in memory)", "optimize s": "-"},
        )
        local.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def bench_real(args: argparse.Namespace, rows: list[dict[str, object]]) -> None:
    """A real collection indexed through SpladeStore with the offline models (all arms).

    The chunks are encoded once, in a throwaway in-memory store (timed as encoding), so that
    the upsert rates of the two backends leave encoding out.
    """
    from splade_rag.dense import DenseEncoder
    from splade_rag.documents import read_documents
    from splade_rag.encoder import SpladeEncoder
    from splade_rag.models import bundled_minilm, bundled_splade_tiny
    from splade_rag.store import SpladeStore

    class CachedSplade(SpladeEncoder):
        cache: ClassVar[dict[str, SparseVector]] = {}

        def encode_documents(self, texts, **options):  # type: ignore[override]
            missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
            if missing:
                self.cache.update(
                    zip(missing, super().encode_documents(missing, **options), strict=True)
                )
            return [self.cache[t] for t in texts]

    class CachedDense(DenseEncoder):
        cache: ClassVar[dict[str, np.ndarray]] = {}

        def __call__(self, texts: list[str]) -> np.ndarray:
            missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
            if missing:
                self.cache.update(zip(missing, self.encode(missing), strict=True))
            return np.stack([self.cache[t] for t in texts])

    corpus = list(read_documents(Path(args.data) / "corpus.jsonl"))[: args.real_docs]
    lines = (Path(args.data) / "queries.jsonl").read_text().splitlines()[: args.queries]
    texts = [json.loads(line)["text"] for line in lines]
    encoder = CachedSplade(bundled_splade_tiny(), device="cpu")
    dense = CachedDense(bundled_minilm(), device="cpu")
    name = f"{Path(args.data).name} ({len(corpus)} docs, all arms)"

    start = time.perf_counter()
    with SpladeStore(":memory:", encoder=encoder, dense=dense) as scratch:
        chunks = scratch.add_documents(corpus).chunks
    print(f"{name}: {chunks} chunks encoded in {time.perf_counter() - start:.0f} s", flush=True)

    root = Path(tempfile.mkdtemp(prefix="splade-bench-"))
    try:
        for kind in ("edge", "local"):
            if kind == "edge":
                store = SpladeStore(root / kind, encoder=encoder, dense=dense)
            else:
                client = QdrantClient(path=str(root / kind))
                store = SpladeStore(client=client, encoder=encoder, dense=dense)
            start = time.perf_counter()
            store.add_documents(corpus)
            rate = store.count() / (time.perf_counter() - start)
            plans = {
                mode: [store._plan(t, mode=mode, top_k=10) for t in texts]
                for mode in ("sparse", "hybrid")
            }

            def run(
                mode: str, q: int, plans: dict[str, list[Any]] = plans, store: Any = store
            ) -> object:
                return store._execute(texts[q % len(texts)], plans[mode][q % len(texts)])

            queries = args.queries if kind == "edge" else min(args.queries, args.local_queries)
            sparse_p50, sparse_p95 = latencies(lambda q: run("sparse", q), queries)
            hybrid_p50, hybrid_p95 = latencies(lambda q: run("hybrid", q), queries)
            store.close()
            if kind == "local":
                client.close()
            rows.append(
                {
                    "collection": name,
                    "backend": kind,
                    "queries": queries,
                    "sparse p50": sparse_p50,
                    "sparse p95": sparse_p95,
                    "hybrid p50": hybrid_p50,
                    "hybrid p95": hybrid_p95,
                    "recall@10": "-",
                    "upsert/s": round(rate),
                    "disk": size_on_disk(root / kind),
                    "optimize s": "-",
                }
            )
            print(json.dumps(rows[-1], default=str), flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def table(rows: Sequence[dict[str, object]]) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        cells = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()]
        lines.append("| " + " | ".join(cells) + " |")
    by_collection: dict[str, dict[str, dict[str, object]]] = {}
    for row in rows:
        by_collection.setdefault(str(row["collection"]), {})[str(row["backend"])] = row
    lines.append("")
    for name, pair in by_collection.items():
        for edge in ("edge", "edge, optimized"):
            if {edge, "local"} <= pair.keys():
                ratio = [
                    f"{key} {_ratio(pair['local'][key], pair[edge][key]):.0f}x"
                    for key in ("sparse p50", "hybrid p50")
                ]
                lines.append(f"- {name}: local mode / {edge} latency: {', '.join(ratio)}")
    return "\n".join(lines)


def _ratio(numerator: object, denominator: object) -> float:
    return float(numerator) / float(denominator)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="synthetic collection sizes")
    parser.add_argument("--terms", type=int, default=120, help="mean terms per document")
    parser.add_argument("--query-terms", type=int, default=25, help="mean terms per query")
    parser.add_argument("--queries", type=int, default=200, help="timed queries (Edge)")
    parser.add_argument("--local-queries", type=int, default=20, help="timed queries (local)")
    parser.add_argument("--data", default="../shared/data/scifact", help="BEIR folder")
    parser.add_argument("--real-docs", type=int, default=100000, help="0 skips the real one")
    args = parser.parse_args()

    rows: list[dict[str, object]] = []
    for size in (int(s) for s in args.sizes.split(",") if s):
        bench_size(size, args, rows)
    if args.real_docs:
        bench_real(args, rows)
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
