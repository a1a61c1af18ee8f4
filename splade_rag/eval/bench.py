"""`splade-rag bench`: encode, ingest and query figures on one collection, as a Markdown section.

Encoding speed of the SPLADE and dense models, ingest throughput into the embedded store
(with encoding, and the upsert alone), and query latency per mode with and without query
encoding, on the first documents and queries of a BEIR folder. The section names the machine,
the settings and the command, and replaces an earlier section of the same title in the file.
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from splade_rag.documents import Document
from splade_rag.eval.beir import load_beir
from splade_rag.models import choose_dense_model, choose_model
from splade_rag.retrieval import SearchMode

__all__ = ["BenchResult", "machine_description", "run_bench", "write_section"]

MODES: tuple[SearchMode, ...] = ("sparse", "bm25", "dense", "hybrid")
PACKAGES = ("torch", "transformers", "qdrant-edge-py", "qdrant-client", "splade-rag")


@dataclass
class BenchResult:
    """Figures of one benchmark run, and what they were measured on."""

    data: str
    docs: int
    queries: int
    settings: dict[str, Any]
    encode: dict[str, float] = field(default_factory=dict)
    ingest: dict[str, float] = field(default_factory=dict)
    latency: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)


def run_bench(
    folder: str | Path,
    *,
    docs: int = 1000,
    queries: int = 100,
    model: str | None = None,
    dense_model: str | None = None,
    batch_size: int = 32,
) -> BenchResult:
    """Measure encoding, ingest and query latency on the first `docs` and `queries`."""
    from splade_rag.dense import DenseEncoder
    from splade_rag.encoder import SpladeEncoder
    from splade_rag.store import SpladeStore

    data = load_beir(folder)
    documents = data.documents[:docs]
    texts = [d.text for d in documents]
    asked = list(data.queries.values())[:queries]
    sparse_name, dense_name = choose_model(model)[0], choose_dense_model(dense_model)[0]
    encoder = SpladeEncoder(sparse_name, batch_size=batch_size)
    dense = DenseEncoder(dense_name, batch_size=batch_size)
    result = BenchResult(
        data.name,
        len(documents),
        len(asked),
        {
            "SPLADE model": _short(sparse_name),
            "dense model": _short(dense_name),
            "batch size": batch_size,
        },
    )

    encoder.encode_documents(texts[:batch_size])  # warm-up, untimed
    result.encode["SPLADE docs/s"] = len(texts) / _timed(lambda: encoder.encode_documents(texts))
    result.encode["dense docs/s"] = len(texts) / _timed(lambda: dense.encode(texts))

    with tempfile.TemporaryDirectory() as tmp:
        store = SpladeStore(
            Path(tmp) / "store", encoder=encoder, dense=dense, chunk_size=None, batch_size=64
        )
        seconds = _timed(lambda: store.add_documents(documents, show_progress=False))
        points = store.count()
        result.ingest["points"] = points
        result.ingest["ingest points/s (with encoding)"] = points / seconds
        result.ingest["upsert points/s (encoded)"] = _upsert_rate(Path(tmp), store, documents)

        encoded = [
            {"sparse": encoder.encode_queries(q), "dense": dense.encode([q])[0]} for q in asked
        ]
        for mode in MODES:
            for text, vectors in list(zip(asked, encoded, strict=True))[:2]:  # warm-up
                store.search(text, mode=mode, query_vectors=vectors)

            def given(i: int, mode: SearchMode = mode) -> object:
                return store.search(asked[i], mode=mode, query_vectors=encoded[i])

            def encoding(i: int, mode: SearchMode = mode) -> object:
                return store.search(asked[i], mode=mode)

            bare = _percentiles(given, len(asked))
            result.latency[mode] = (*bare, *_percentiles(encoding, len(asked)))
        store.close()
    return result


def _upsert_rate(tmp: Path, store: Any, documents: Sequence[Document]) -> float:
    """Points per second written by a second store fed the first store's stored vectors."""
    from splade_rag.qdrant import Point
    from splade_rag.qdrant.edge import EdgeBackend

    names = [n for n in (store.schema.sparse, store.schema.bm25, store.schema.dense) if n]
    stored, offset = [], None
    while True:
        page, offset = store.backend.scroll([], 256, offset)
        stored.extend(store.backend.retrieve([f.id for f in page], vectors=names))
        if offset is None:
            break
    target = EdgeBackend(tmp / "upsert", "bench")
    target.create(store.schema, {})
    points = [Point(f.id, f.vectors, f.payload or {}) for f in stored]
    start = time.perf_counter()
    for first in range(0, len(points), 256):
        target.upsert(points[first : first + 256])
    seconds = time.perf_counter() - start
    target.close()
    return len(points) / seconds


def _short(model: str) -> str:
    """A model name without the site-packages prefix of a bundled model's folder."""
    marker = "site-packages/"
    return model.split(marker, 1)[1] if marker in model else model


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _percentiles(run: Callable[[int], object], count: int) -> tuple[float, float]:
    times = []
    for i in range(count):
        start = time.perf_counter()
        run(i)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def machine_description() -> str:
    """CPU, cores, memory, accelerator and the versions that shape the figures."""
    import torch

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB memory"
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    versions = ", ".join(f"{name} {_version(name)}" for name in PACKAGES)
    return (
        f"{cpu}, {os.cpu_count()} logical CPUs{memory}, {gpu}; Python "
        f"{platform.python_version()}, torch threads {torch.get_num_threads()}; {versions}"
    )


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "(not installed)"


def write_section(result: BenchResult, path: Path, command: str) -> str:
    """Write (or replace) this run's section in the Markdown file at `path`; returns it."""
    title = f"## `splade-rag bench` on {result.data}"
    lines = [
        title,
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {machine_description()}.",
        "",
        f"Data: the first {result.docs} documents and {result.queries} queries of "
        f"{result.data}. Settings: "
        + ", ".join(f"{key} `{value}`" for key, value in result.settings.items())
        + "; whole documents (no chunking), all three arms, embedded store (Qdrant Edge).",
        "",
        "| figure | value |",
        "| --- | ---: |",
    ]
    for key, value in {**result.encode, **result.ingest}.items():
        lines.append(f"| {key} | {value:,.1f} |" if key != "points" else f"| {key} | {value} |")
    lines += [
        "",
        "| mode | p50 ms | p95 ms | p50 ms with query encoding | p95 ms with query encoding |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for mode, (p50, p95, full50, full95) in result.latency.items():
        lines.append(f"| {mode} | {p50:.2f} | {p95:.2f} | {full50:.2f} | {full95:.2f} |")
    section = "\n".join(lines) + "\n"

    existing = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmarks\n"
    kept, skipping = [], False
    for line in existing.splitlines():
        if line.startswith("## "):
            skipping = line == title
        if not skipping:
            kept.append(line)
    text = "\n".join(kept).rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")
    return section
