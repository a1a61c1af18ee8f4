"""A collection's evaluation index: every arm in an embedded store, cached on disk.

The index and the query vectors are kept under `$SPLADE_RAG_CACHE/eval/`, keyed by the
corpus bytes, the models and the settings, so a second evaluation (other modes, tuning)
encodes nothing. An interrupted build resumes: the store's ingest is idempotent, and the
index counts as complete only once a marker file is written after it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from splade_rag.bm25 import Bm25Settings
from splade_rag.eval.beir import BeirData
from splade_rag.models import (
    cache_folder,
    choose_dense_model,
    choose_model,
    model_fingerprint,
)
from splade_rag.qdrant.backend import Vector
from splade_rag.retrieval import Hit
from splade_rag.vectors import SparseVector

if TYPE_CHECKING:
    from splade_rag.dense import DenseEncoder
    from splade_rag.encoder import SpladeEncoder
    from splade_rag.store import SpladeStore

__all__ = ["EvalIndex", "IndexSettings", "document_scores"]

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1
TERMS = "sparse_terms_per_point"
COMPLETE = "complete.json"
QUERY_VECTORS = "queries.json"


@dataclass(frozen=True)
class IndexSettings:
    """What an evaluation index is built with; every field is part of the cache key.

    Args:
        model: the SPLADE model (None: the default, or SPLADE-tiny with no hub).
        dense_model: the dense model (None: the default, or MiniLM with no hub).
        dense: whether to index a dense arm.
        chunk_size: tokens per chunk; None indexes each document whole (the SPLADE encoder
            windows long ones), as the judgements are per document.
        chunk_overlap: tokens consecutive chunks share.
        bm25_k: BM25's k1 (0.9, as the bm25s reference).
        bm25_b: BM25's b (0.4, as the bm25s reference).
    """

    model: str | None = None
    dense_model: str | None = None
    dense: bool = True
    chunk_size: int | None = None
    chunk_overlap: int = 32
    bm25_k: float = 0.9
    bm25_b: float = 0.4

    def resolved(self) -> IndexSettings:
        """These settings with the models chosen (defaults, or the bundled ones offline)."""
        model = choose_model(self.model)[0]
        dense_model = choose_dense_model(self.dense_model)[0] if self.dense else None
        return IndexSettings(
            model,
            dense_model,
            self.dense,
            self.chunk_size,
            self.chunk_overlap,
            self.bm25_k,
            self.bm25_b,
        )


class EvalIndex:
    """The cached store of one collection, and its cached query vectors.

    Args:
        data: the collection.
        settings: models and index settings.
        cache: the cache folder (default `$SPLADE_RAG_CACHE/eval`).
        batch_size: chunks encoded per batch while building.
        device: device of the models.
    """

    def __init__(
        self,
        data: BeirData,
        settings: IndexSettings | None = None,
        *,
        cache: Path | None = None,
        batch_size: int = 32,
        device: str | None = None,
    ) -> None:
        self.data = data
        self.settings = (settings or IndexSettings()).resolved()
        self.batch_size = batch_size
        self.device = device
        self._encoder: SpladeEncoder | None = None
        self._dense: DenseEncoder | None = None
        self.bm25 = Bm25Settings.for_corpus(
            [d.text for d in data.documents], k=self.settings.bm25_k, b=self.settings.bm25_b
        )
        key = {
            "format": CACHE_FORMAT,
            "corpus": data.corpus_digest(),
            "settings": asdict(self.settings),
            "bm25": self.bm25.to_dict(),
        }
        for name, model in (("model", self.settings.model), ("dense", self.settings.dense_model)):
            if model is not None and (fingerprint := model_fingerprint(model)) is not None:
                key[f"{name}_files"] = fingerprint
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
        self.folder = (cache or cache_folder() / "eval") / f"{data.name}-{digest}"
        self.key = key
        self._store: SpladeStore | None = None

    @property
    def arms(self) -> tuple[str, ...]:
        """The arms this index holds."""
        return ("sparse", "bm25", "dense") if self.settings.dense else ("sparse", "bm25")

    def store(self) -> SpladeStore:
        """The store, built (or finished) on first use; later uses only open it."""
        if self._store is not None:
            return self._store
        from splade_rag.store import SpladeStore

        complete = (self.folder / COMPLETE).is_file()
        store = SpladeStore(
            self.folder / "index",
            collection="eval",
            encoder=None if complete else self.encoder(),
            dense=_LazyDense(self),
            dense_size=None,
            bm25=self.bm25,
            chunk_size=self.settings.chunk_size,
            chunk_overlap=self.settings.chunk_overlap,
            batch_size=self.batch_size,
        )
        if not self.settings.dense:
            store.dense = None
        if not complete:
            logger.info("indexing %s into %s", self.data.name, self.folder)
            report = store.add_documents(self.data.documents, show_progress=None)
            info = {**self.key, "points": store.count(), "written": report.written}
            (self.folder / COMPLETE).write_text(json.dumps(info, indent=2), encoding="utf-8")
        self._store = store
        return store

    def sparse_terms(self) -> float:
        """The mean number of SPLADE terms (non-zero weights) of an indexed point."""
        path = self.folder / COMPLETE
        store = self.store()
        info = json.loads(path.read_text(encoding="utf-8"))
        if TERMS not in info:
            name = store.schema.sparse or ""
            counts: list[int] = []
            offset: str | None = None
            while True:
                page, offset = store.backend.scroll([], 1000, offset)
                found = store.backend.retrieve([p.id for p in page], payload=False, vectors=[name])
                counts.extend(len(f.vectors[name]) for f in found)
                if offset is None:
                    break
            info[TERMS] = float(np.mean(counts)) if counts else 0.0
            path.write_text(json.dumps(info, indent=2), encoding="utf-8")
        return float(info[TERMS])

    def encoder(self) -> SpladeEncoder:
        """The SPLADE encoder (loaded on first use)."""
        if self._encoder is None:
            from splade_rag.encoder import SpladeEncoder

            self._encoder = SpladeEncoder(self.settings.model, device=self.device)
        return self._encoder

    def dense_encoder(self) -> DenseEncoder:
        """The dense encoder (loaded on first use)."""
        if self._dense is None:
            from splade_rag.dense import DenseEncoder

            self._dense = DenseEncoder(self.settings.dense_model, device=self.device)
        return self._dense

    def query_vectors(self, queries: Mapping[str, str]) -> dict[str, dict[str, Vector]]:
        """The SPLADE and dense vectors of each query, encoded once and cached on disk."""
        path = self.folder / QUERY_VECTORS
        cached: dict[str, Any] = {}
        if path.is_file():
            cached = json.loads(path.read_text(encoding="utf-8"))
        missing = [q for q in queries if _query_key(queries[q]) not in cached]
        if missing:
            texts = [queries[q] for q in missing]
            sparse = self.encoder().encode_queries(texts)
            dense = self.dense_encoder().encode(texts) if self.settings.dense else None
            for position, text in enumerate(texts):
                entry: dict[str, Any] = {
                    "sparse": [sparse[position].indices.tolist(), sparse[position].values.tolist()]
                }
                if dense is not None:
                    entry["dense"] = dense[position].tolist()
                cached[_query_key(text)] = entry
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(cached), encoding="utf-8")

        vectors: dict[str, dict[str, Vector]] = {}
        for query_id, text in queries.items():
            entry = cached[_query_key(text)]
            by_arm: dict[str, Vector] = {"sparse": SparseVector.from_pairs(*entry["sparse"])}
            if "dense" in entry:
                by_arm["dense"] = np.asarray(entry["dense"], dtype=np.float32)
            vectors[query_id] = by_arm
        return vectors

    def close(self) -> None:
        """Close the store."""
        if self._store is not None:
            self._store.close()
            self._store = None


def document_scores(hits: Sequence[Hit]) -> dict[str, float]:
    """`{document id: score}` of a search's hits; a document scores its best chunk."""
    scores: dict[str, float] = {}
    for hit in hits:
        doc_id = str(hit.metadata.get("doc_id", hit.id))
        scores[doc_id] = max(hit.score, scores.get(doc_id, float("-inf")))
    return scores


def _query_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class _LazyDense:
    """The index's dense encoder, loaded only when documents are encoded."""

    def __init__(self, index: EvalIndex) -> None:
        self._index = index
        self.model_name = index.settings.dense_model

    def embed_documents(self, texts: list[str]) -> Any:
        """Document vectors."""
        return self._index.dense_encoder().encode(texts)

    def embed_query(self, text: str) -> Any:
        """A query vector (evaluation passes query vectors in, so this is rarely called)."""
        return self._index.dense_encoder().encode([text])[0]
