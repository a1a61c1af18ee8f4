"""Ingesting documents: chunk, encode every arm, upsert, with encoding and writing overlapped.

Point ids are derived from the document id and the chunk number, so ingesting again is an
idempotent upsert, and a run that was interrupted finishes with exactly the right points when
re-run: chunks already stored unchanged are skipped, changed ones replaced, and chunks left
over from a longer earlier version of a document deleted.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Any

from tqdm.auto import tqdm

from splade_rag.chunking import Chunker
from splade_rag.documents import Document
from splade_rag.qdrant.backend import Backend, Condition, Point, Vector
from splade_rag.qdrant.payload import build_payload, metadata_path, read_payload
from splade_rag.qdrant.schema import Schema

__all__ = ["ChunkRecord", "IngestReport", "chunk_documents", "ingest", "point_id"]

logger = logging.getLogger(__name__)

# metadata keys each chunk carries, beside the document's own metadata
DOC_ID, CHUNK, CHUNK_START, CHUNK_END = "doc_id", "chunk", "chunk_start", "chunk_end"


@dataclass(frozen=True)
class ChunkRecord:
    """One chunk ready to encode: its point id, text and metadata."""

    point_id: str
    doc_id: str
    chunk: int
    chunks_in_doc: int
    text: str
    metadata: dict[str, Any]


@dataclass
class IngestReport:
    """What an ingest did."""

    documents: int = 0
    chunks: int = 0
    written: int = 0
    unchanged: int = 0
    stale_removed: int = 0


# encodes a batch of chunk texts into vectors by vector name
BatchEncoder = Callable[[list[str]], list[dict[str, Vector]]]


def point_id(doc_id: str, chunk: int) -> str:
    """The UUID of chunk `chunk` of document `doc_id` (stable across runs and machines)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"splade-rag:{doc_id}#{chunk}"))


def document_id(document: Document) -> str:
    """The document's own id, or one derived from its text."""
    if document.id is not None:
        return document.id
    return "sha1:" + hashlib.sha1(document.text.encode("utf-8")).hexdigest()


def chunk_documents(documents: Iterable[Document], chunker: Chunker) -> Iterator[ChunkRecord]:
    """The chunks of each document, with provenance in their metadata."""
    for document in documents:
        doc_id = document_id(document)
        chunks = chunker.split(document.text)
        for chunk in chunks:
            metadata = {
                **document.metadata,
                DOC_ID: doc_id,
                CHUNK: chunk.index,
                CHUNK_START: chunk.start,
                CHUNK_END: chunk.end,
            }
            yield ChunkRecord(
                point_id(doc_id, chunk.index),
                doc_id,
                chunk.index,
                len(chunks),
                chunk.text,
                metadata,
            )


def ingest(
    backend: Backend,
    schema: Schema,
    records: Iterable[ChunkRecord],
    encode: BatchEncoder,
    *,
    batch_size: int,
    total: int | None = None,
    show_progress: bool | None = None,
    create: Callable[[dict[str, Vector]], None] | None = None,
) -> IngestReport:
    """Encode and upsert chunk records; encoding batch n+1 overlaps writing batch n.

    Every store call runs on the calling thread; a single worker thread only encodes. With
    `create`, the collection does not exist yet: it is called with the first encoded point's
    vectors (so sizes come from real vectors) before the first write.
    """
    report = IngestReport()
    if show_progress is None:
        show_progress = logger.isEnabledFor(logging.INFO)
    bar = tqdm(total=total, unit="chunk", disable=not show_progress, desc="indexing")

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="splade-rag-encode") as pool:
        previous: _Pending | None = None
        for batch in _batches(records, batch_size):
            todo, payloads, unchanged = _changed(backend, schema, batch, fresh=create is not None)
            encoding = pool.submit(encode, [record.text for record in todo])
            if previous is not None:
                _finish(backend, schema, previous, report=report, bar=bar, create=create)
                create = None
            previous = _Pending(batch, todo, payloads, encoding, unchanged)
        if previous is not None:
            _finish(backend, schema, previous, report=report, bar=bar, create=create)
    bar.close()
    logger.info(
        "ingested %d chunks of %d documents: %d written, %d unchanged, %d stale removed",
        report.chunks,
        report.documents,
        report.written,
        report.unchanged,
        report.stale_removed,
    )
    return report


@dataclass(frozen=True)
class _Pending:
    """A batch whose vectors are being encoded."""

    batch: list[ChunkRecord]
    todo: list[ChunkRecord]
    payloads: dict[str, dict[str, Any]]
    encoding: Future[list[dict[str, Vector]]]
    unchanged: int


def _batches(records: Iterable[ChunkRecord], size: int) -> Iterator[list[ChunkRecord]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def _changed(
    backend: Backend, schema: Schema, batch: list[ChunkRecord], *, fresh: bool
) -> tuple[list[ChunkRecord], dict[str, dict[str, Any]], int]:
    """The records of a batch not already stored unchanged (re-runs, resumes), and payloads."""
    payloads = {
        record.point_id: build_payload(
            schema, record.point_id, record.text, record.metadata, record.doc_id
        )
        for record in batch
    }
    if fresh:
        return list(batch), payloads, 0
    stored = backend.retrieve([record.point_id for record in batch], payload=True)
    unchanged = {
        found.id
        for found in stored
        if read_payload(schema, found.payload) == read_payload(schema, payloads[found.id])
    }
    todo = [record for record in batch if record.point_id not in unchanged]
    return todo, payloads, len(unchanged)


def _finish(
    backend: Backend,
    schema: Schema,
    pending: _Pending,
    *,
    report: IngestReport,
    bar: tqdm[Any],
    create: Callable[[dict[str, Vector]], None] | None,
) -> None:
    """Write an encoded batch, then clear what earlier versions of its documents left."""
    vectors = pending.encoding.result()
    if create is not None and vectors:
        create(vectors[0])
    points = [
        Point(record.point_id, encoded, pending.payloads[record.point_id])
        for record, encoded in zip(pending.todo, vectors, strict=True)
    ]
    if points:
        backend.upsert(points)
    report.written += len(points)
    report.unchanged += pending.unchanged
    report.chunks += len(pending.batch)
    report.documents += sum(1 for r in pending.batch if r.chunk == r.chunks_in_doc - 1)
    if create is None:
        report.stale_removed += _remove_stale(backend, schema, pending.batch)
    bar.update(len(pending.batch))


def _remove_stale(backend: Backend, schema: Schema, batch: Sequence[ChunkRecord]) -> int:
    """Delete chunks beyond each document's last one, left by a longer earlier version.

    Chunks are numbered from 0 without gaps, so a stored chunk number `n` for a document now
    cut into `n` chunks is the sign of stale ones: one lookup per batch finds them.
    """
    last = [record for record in batch if record.chunk == record.chunks_in_doc - 1]
    beyond = {point_id(r.doc_id, r.chunks_in_doc): r for r in last}
    removed = 0
    for found in backend.retrieve(list(beyond), payload=False):
        record = beyond[found.id]
        where = [
            Condition(metadata_path(schema, DOC_ID), value=record.doc_id),
            Condition(metadata_path(schema, CHUNK), at_least=record.chunks_in_doc),
        ]
        removed += backend.count(where)
        backend.delete(where=where)
    return removed
