"""`SpladeStore`: documents in a Qdrant collection, searched sparse, BM25, dense or hybrid."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from splade_rag import __version__
from splade_rag.bm25 import Bm25Encoder, Bm25Settings
from splade_rag.chunking import Chunker
from splade_rag.dense import DenseEmbedder, DenseEncoder, QueryDocumentEmbedder, embed
from splade_rag.documents import Document
from splade_rag.errors import CollectionNotFoundError
from splade_rag.fusion import DEFAULT_FUSION, Fusion
from splade_rag.ingest import DOC_ID, IngestReport, chunk_documents, ingest
from splade_rag.qdrant import PRESETS, Backend, Condition, Found, Probe, Schema, open_backend
from splade_rag.qdrant.backend import Vector
from splade_rag.qdrant.payload import metadata_path, read_payload
from splade_rag.qdrant.schema import VectorSpec, check_schema
from splade_rag.retrieval import (
    Arm,
    Hit,
    SearchMode,
    SearchPlan,
    assemble,
    check_search_options,
    explain,
    rank,
)
from splade_rag.vectors import SparseVector

if TYPE_CHECKING:
    from qdrant_client import AsyncQdrantClient, QdrantClient

    from splade_rag.encoder import SpladeEncoder

__all__ = ["SpladeStore"]

logger = logging.getLogger(__name__)

# an ingest writing this many chunks builds the embedded engine's indexes afterwards
AUTO_OPTIMIZE_POINTS = 10_000


class SpladeStore:
    """SPLADE (and BM25 and dense) vectors of documents in one Qdrant collection.

    The location picks the engine: a folder (default `./splade_index`) or `":memory:"` runs
    Qdrant embedded in this process (Qdrant Edge); an `http(s)://` URL reaches a Qdrant
    server or cluster; a `QdrantClient` (its local mode included) may be passed as `client`.
    Search runs inside Qdrant, hybrid fusion included.

    Args:
        location: store folder, `":memory:"` or server URL.
        collection: collection name.
        encoder: the SPLADE encoder; built with the default model on first use if None.
        dense: a `DenseEncoder`, any callable `list[str] -> vectors`, or an object with
            `embed_documents` and `embed_query` (a LangChain `Embeddings`); None for no dense
            arm.
        dense_size: size of the dense vectors, for a callable whose size is not known upfront
            (otherwise read from the first vectors it returns).
        bm25: keep a BM25 vector (True, or `Bm25Settings`); False leaves the arm out.
        schema: a preset name (`"default"`, `"langchain"`, `"llamaindex"`) or a `Schema`.
        chunk_size: tokens per chunk when ingesting (None: one chunk per document).
        chunk_overlap: tokens consecutive chunks share.
        batch_size: chunks encoded and written per batch.
        api_key: API key for a Qdrant server.
        client: a `QdrantClient` to use instead of `location`.
        async_client: an `AsyncQdrantClient` for native async calls with `client`.

    Example:
        >>> store = SpladeStore(":memory:", encoder=encoder)  # doctest: +SKIP
        >>> store.add_documents(["Paris is the capital of France."])  # doctest: +SKIP
        >>> store.search("capital of france", mode="sparse", explain=True)[0].explanation
    """

    def __init__(
        self,
        location: str | Path | None = None,
        *,
        collection: str = "splade_rag",
        encoder: SpladeEncoder | None = None,
        dense: DenseEmbedder | None = None,
        dense_size: int | None = None,
        bm25: bool | Bm25Settings = True,
        schema: str | Schema = "default",
        chunk_size: int | None = 256,
        chunk_overlap: int = 32,
        batch_size: int = 64,
        api_key: str | None = None,
        client: QdrantClient | None = None,
        async_client: AsyncQdrantClient | None = None,
    ) -> None:
        if isinstance(schema, str):
            if schema not in PRESETS:
                raise ValueError(f"schema must be one of {', '.join(PRESETS)}; got {schema!r}")
            schema = PRESETS[schema]
        if not bm25:
            schema = replace(schema, bm25=None)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        if dense is not None and not (callable(dense) or isinstance(dense, QueryDocumentEmbedder)):
            raise TypeError(
                "dense must be a DenseEncoder, a callable `list[str] -> vectors` or an object "
                f"with embed_documents and embed_query (LangChain Embeddings); got {type(dense)}"
            )

        self._schema = schema
        self._encoder = encoder
        self.dense = dense
        if isinstance(dense, DenseEncoder):
            dense_size = dense.dimension
        self._dense_size = dense_size
        self._bm25_settings = bm25 if isinstance(bm25, Bm25Settings) else Bm25Settings()
        self._bm25: Bm25Encoder | None = None
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.batch_size = batch_size
        self.backend: Backend = open_backend(
            location, collection, api_key=api_key, client=client, async_client=async_client
        )
        self._vectors: dict[str, VectorSpec] | None = None  # the collection's, once checked

    @property
    def collection(self) -> str:
        """The collection's name."""
        return self.backend.collection

    @property
    def encoder(self) -> SpladeEncoder:
        """The SPLADE encoder (the default model is loaded on first use)."""
        if self._encoder is None:
            from splade_rag.encoder import SpladeEncoder

            self._encoder = SpladeEncoder()
        return self._encoder

    @property
    def schema(self) -> Schema:
        """The vectors and payload keys this store reads and writes."""
        return self._schema.with_dense_size(self._dense_size if self.dense is not None else None)

    def exists(self) -> bool:
        """Whether the collection exists yet."""
        return self.backend.vectors() is not None

    def check(self) -> None:
        """Check that the collection exists and holds the vectors this store reads.

        Raises:
            CollectionNotFoundError: no such collection (index documents first).
            SchemaMismatchError: the collection holds other vectors; shows both and the fix.
        """
        self._require()

    def add_documents(
        self,
        documents: Iterable[Document | str],
        *,
        show_progress: bool | None = None,
        optimize: bool | None = None,
    ) -> IngestReport:
        """Chunk, encode and store documents (strings or `Document`s); re-adding is idempotent.

        Args:
            documents: the documents.
            show_progress: a progress bar (default: for long ingests when logging at INFO).
            optimize: build the embedded engine's dense index afterwards (see `optimize`).
                None does so when this call wrote at least 10,000 chunks: until then dense
                and hybrid search scan every dense vector (31 ms instead of 5 ms at 100k).

        Raises:
            SchemaMismatchError: the collection exists with other vectors; nothing is written.
        """
        docs = [_as_document(d, position) for position, d in enumerate(documents)]
        found = self.backend.vectors()
        if found is not None:
            self._check(found)
        chunker = Chunker(self.encoder.tokenizer, self.chunk_size, self.chunk_overlap)
        records = list(chunk_documents(docs, chunker))
        report = ingest(
            self.backend,
            self.schema,
            records,
            self._encode_documents,
            batch_size=self.batch_size,
            total=len(records),
            show_progress=show_progress,
            create=self._create if found is None else None,
        )
        if optimize or (optimize is None and report.written >= AUTO_OPTIMIZE_POINTS):
            self.backend.optimize()
        return report

    async def aadd_documents(
        self,
        documents: Iterable[Document | str],
        *,
        show_progress: bool | None = None,
        optimize: bool | None = None,
    ) -> IngestReport:
        """`add_documents` in a worker thread, so the event loop keeps running."""
        items = list(documents)
        return await asyncio.to_thread(
            lambda: self.add_documents(items, show_progress=show_progress, optimize=optimize)
        )

    def search(
        self,
        query: str,
        *,
        mode: SearchMode = "hybrid",
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
        score_threshold: float | None = None,
        arms: Sequence[Arm] | None = None,
        fusion: Fusion = DEFAULT_FUSION,
        prefetch: int = 100,
        rrf_k: int = 2,
        weights: Sequence[float] | None = None,
        alpha: float | None = None,
        explain: bool = False,
        query_vectors: Mapping[str, Any] | None = None,
    ) -> list[Hit]:
        """Search the collection.

        Args:
            query: the question or keywords.
            mode: `"sparse"` (SPLADE), `"bm25"`, `"dense"` or `"hybrid"`.
            top_k: hits to return.
            filter: metadata conditions, `{key: value}` or `{key: [any, of, these]}`.
            score_threshold: drop hits scoring below it (the fused score in hybrid mode).
            arms: the arms a hybrid fuses; default every arm this store can query.
            fusion: `"rrf"` and `"dbsf"` run inside Qdrant; `"convex"` combines min-max
                normalised scores here.
            prefetch: candidates each arm contributes to the fusion.
            rrf_k: RRF's rank constant (Qdrant's default 2).
            weights: per-arm weights, for RRF (weighted RRF) and convex fusion.
            alpha: for convex fusion of two arms, the first arm's weight (the second gets
                `1 - alpha`).
            explain: attach the matched SPLADE terms to each hit.
            query_vectors: query vectors encoded beforehand, by arm (`{"sparse":
                SparseVector, "dense": array}`); the arms not given are encoded here. For
                evaluations that run one query through many searches.
        """
        plan = self._plan(
            query,
            mode=mode,
            top_k=top_k,
            filter=filter,
            score_threshold=score_threshold,
            arms=arms,
            fusion=fusion,
            prefetch=prefetch,
            rrf_k=rrf_k,
            weights=weights,
            alpha=alpha,
            query_vectors=query_vectors,
        )
        return self._execute(query, plan, explain=explain)

    async def asearch(self, query: str, **options: Any) -> list[Hit]:
        """Async `search`: encoding in a worker thread, native async I/O on servers."""
        asearch = getattr(self.backend, "asearch", None)
        if asearch is None:
            return await asyncio.to_thread(lambda: self.search(query, **options))
        explain_hits = bool(options.pop("explain", False))
        plan = await asyncio.to_thread(lambda: self._plan(query, **_plan_options(options)))
        results = await asearch(plan.probes, **plan.backend_options())
        ids, payload, vectors = self._to_fetch(plan, results, explain_hits)
        fetched = []
        if ids:
            fetched = await self.backend.aretrieve(  # type: ignore[attr-defined]
                ids, payload=payload, vectors=vectors
            )
        return await asyncio.to_thread(
            lambda: self._hits(query, plan, results, fetched, explain_hits)
        )

    def delete(
        self,
        *,
        ids: Sequence[str] = (),
        doc_ids: Sequence[str] = (),
        filter: Mapping[str, Any] | None = None,
    ) -> int:
        """Delete points by point id, every chunk of some documents, or by metadata filter.

        Returns how many points were deleted. An empty call deletes nothing.
        """
        self._require()
        where: list[Condition] = []
        if doc_ids:
            where.append(Condition(metadata_path(self.schema, DOC_ID), any_of=list(doc_ids)))
        where += self._conditions(filter)
        before = self.backend.count()
        if ids:
            self.backend.delete(ids=list(ids))
        if where:
            self.backend.delete(where=where)
        return before - self.backend.count()

    def count(self, filter: Mapping[str, Any] | None = None) -> int:
        """Exact number of points (chunks), optionally matching a metadata filter."""
        self._require()
        return self.backend.count(self._conditions(filter))

    def list_points(
        self,
        filter: Mapping[str, Any] | None = None,
        *,
        limit: int = 100,
        offset: str | None = None,
    ) -> tuple[list[Hit], str | None]:
        """A page of stored chunks (score 0) and the offset of the next page (None at the end)."""
        self._require()
        page, following = self.backend.scroll(self._conditions(filter), limit, offset)
        hits = [Hit(f.id, *read_payload(self.schema, f.payload), score=0.0) for f in page]
        return hits, following

    def optimize(self) -> bool:
        """Merge segments and build the dense index now (embedded engine); see `add_documents`.

        Returns whether anything was done: a Qdrant server optimizes in the background by
        itself, so there this does nothing.
        """
        self._require()
        return self.backend.optimize()

    def close(self) -> None:
        """Close the collection (and the clients the store opened itself)."""
        self.backend.close()

    def __enter__(self) -> SpladeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _plan(
        self,
        query: str,
        *,
        mode: SearchMode = "hybrid",
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
        score_threshold: float | None = None,
        arms: Sequence[Arm] | None = None,
        fusion: Fusion = DEFAULT_FUSION,
        prefetch: int = 100,
        rrf_k: int = 2,
        weights: Sequence[float] | None = None,
        alpha: float | None = None,
        query_vectors: Mapping[str, Any] | None = None,
    ) -> SearchPlan:
        """Validate a search, encode the query for each arm and build the probes."""
        if not isinstance(query, str) or not query.strip():
            raise ValueError("query is empty: pass the text to search for")
        check_search_options(
            mode, top_k=top_k, fusion=fusion, prefetch=prefetch, rrf_k=rrf_k, alpha=alpha
        )
        found = self._require()
        chosen = self._arms(mode, arms, found)
        if alpha is not None:
            if len(chosen) != 2 or fusion != "convex":
                raise ValueError("alpha needs fusion='convex' with exactly two arms")
            weights = [alpha, 1.0 - alpha]

        # a single arm fetches past top_k so that ties at the cut are settled by id
        limit = 2 * top_k if len(chosen) == 1 else max(prefetch, top_k)
        given = query_vectors or {}
        probes = [
            Probe(
                str(self._vector_name(arm)),
                self._checked_vector(arm, given[arm], found)
                if arm in given
                else self._query_vector(arm, query, found),
                limit,
            )
            for arm in chosen
        ]
        return SearchPlan(
            arms=chosen,
            probes=probes,
            top_k=top_k,
            where=self._conditions(filter),
            fusion=fusion if len(chosen) > 1 else None,
            rrf_k=rrf_k,
            weights=list(weights) if weights is not None else None,
            score_threshold=score_threshold,
        )

    def _arms(
        self, mode: str, arms: Sequence[Arm] | None, found: Mapping[str, VectorSpec]
    ) -> list[Arm]:
        """The arms a search uses, checking that the store and the collection have them."""
        available = self._available(found)
        if mode != "hybrid":
            if arms is not None:
                raise ValueError("arms= is for mode='hybrid'; single-arm modes use their arm")
            self._require_arm(mode, found)  # type: ignore[arg-type]
            return [mode]  # type: ignore[list-item]
        if arms is None:
            if not available:
                raise ValueError(
                    f"collection {self.collection!r} has no arm this store can search"
                )
            return available
        for arm in arms:
            self._require_arm(arm, found)
        if len(set(arms)) != len(arms) or not arms:
            raise ValueError(f"arms must be distinct arms among sparse, bm25, dense; got {arms}")
        return list(arms)

    def _available(self, found: Mapping[str, VectorSpec]) -> list[Arm]:
        arms: list[Arm] = ["sparse", "bm25", "dense"]
        return [arm for arm in arms if self._arm_problem(arm, found) is None]

    def _require_arm(self, arm: Arm, found: Mapping[str, VectorSpec]) -> None:
        problem = self._arm_problem(arm, found)
        if problem is not None:
            raise ValueError(problem)

    def _arm_problem(self, arm: Arm, found: Mapping[str, VectorSpec]) -> str | None:
        """Why this store cannot search `arm` on this collection, or None if it can."""
        if arm not in ("sparse", "bm25", "dense"):
            return f"unknown arm {arm!r}: use sparse, bm25 or dense"
        name = self._vector_name(arm)
        if name is None or name not in found:
            return (
                f"collection {self.collection!r} has no {arm} vectors (it holds "
                f"{sorted(found)}); choose another mode, or re-index with that arm"
            )
        if arm == "dense" and self.dense is None:
            return (
                "dense search needs a dense encoder: pass dense=DenseEncoder(...) "
                "(command line: --dense-model)"
            )
        return None

    def _vector_name(self, arm: Arm) -> str | None:
        schema = self._schema
        return {"sparse": schema.sparse, "bm25": schema.bm25, "dense": schema.dense}.get(arm)

    def _sparse_name(self) -> str:
        if self._schema.sparse is None:
            raise ValueError("explanations need the SPLADE vector, which this schema leaves out")
        return self._schema.sparse

    def _query_vector(self, arm: Arm, query: str, found: Mapping[str, VectorSpec]) -> Vector:
        if arm == "sparse":
            splade: SparseVector = self.encoder.encode_queries(query)
            return splade
        if arm == "bm25":
            bm25: SparseVector = self._bm25_encoder().encode_queries([query])[0]
            return bm25
        if self.dense is None:
            raise ValueError("dense search needs a dense encoder: pass dense=DenseEncoder(...)")
        return self._checked_vector(arm, embed(self.dense, [query], query=True)[0], found)

    def _checked_vector(self, arm: Arm, vector: Vector, found: Mapping[str, VectorSpec]) -> Vector:
        """A query vector given for `arm`, checked to be of the kind (and size) it needs."""
        if arm != "dense":
            if not isinstance(vector, SparseVector):
                raise TypeError(
                    f"query_vectors[{arm!r}] must be a splade_rag.SparseVector, "
                    f"got {type(vector).__name__}"
                )
            return vector
        vector = np.asarray(vector, dtype=np.float32)
        size = found[str(self._schema.dense)].size
        if vector.shape[0] != size:
            raise ValueError(
                f"the dense encoder gives {vector.shape[0]}-dimensional vectors but collection "
                f"{self.collection!r} stores {size}: use the dense model it was indexed with"
            )
        dense_vector: Vector = vector
        return dense_vector

    def _encode_documents(self, texts: list[str]) -> list[dict[str, Vector]]:
        """Every arm's vectors of a batch of chunk texts."""
        schema = self._schema
        encoded: list[dict[str, Vector]] = [{} for _ in texts]
        if schema.sparse is not None:
            for row, vector in zip(encoded, self.encoder.encode_documents(texts), strict=True):
                row[schema.sparse] = vector
        if schema.bm25 is not None:
            bm25 = self._bm25_encoder().encode_documents(texts)
            for row, vector in zip(encoded, bm25, strict=True):
                row[schema.bm25] = vector
        if self.dense is not None and schema.dense is not None:
            dense = embed(self.dense, texts)
            for row, array in zip(encoded, dense, strict=True):
                row[schema.dense] = array
        return encoded

    def _create(self, first: Mapping[str, Vector]) -> None:
        """Create the collection, taking the dense size from the first vectors if unknown."""
        if self.dense is not None and self._schema.dense is not None:
            size = int(np.asarray(first[self._schema.dense]).shape[0])
            if self._dense_size not in (None, size):
                raise ValueError(
                    f"dense_size={self._dense_size} but the dense encoder gives "
                    f"{size}-dimensional vectors"
                )
            self._dense_size = size
        metadata = {
            "splade_rag": __version__,
            "sparse_model": self._encoder.model_name if self._encoder is not None else None,
            "dense_model": getattr(self.dense, "model_name", None),
            "bm25": self._bm25_settings.to_dict() if self._schema.bm25 else None,
        }
        self.backend.create(self.schema, metadata)
        self._vectors = self.schema.vectors()

    def _require(self) -> dict[str, VectorSpec]:
        """The collection's vectors, checked against this store's schema once."""
        if self._vectors is not None:
            return self._vectors
        found = self.backend.vectors()
        if found is None:
            raise CollectionNotFoundError(
                f"collection {self.collection!r} does not exist in {self.backend.location}: "
                "index documents first (store.add_documents, or `splade-rag index PATH "
                f"--collection {self.collection}`)"
            )
        self._check(found)
        return found

    def _check(self, found: Mapping[str, VectorSpec]) -> None:
        if self._vectors is not None:
            return
        dense_name = self._schema.dense
        if self.dense is not None and self._dense_size is None and dense_name in found:
            self._dense_size = found[str(dense_name)].size
        wanted = self.schema
        present = {name for name in (wanted.bm25,) if name is not None and name in found}
        if wanted.bm25 is not None and not present:
            wanted = replace(wanted, bm25=None)  # an older collection without BM25 still reads
            self._schema = replace(self._schema, bm25=None)
        check_schema(self.collection, wanted, found)
        stored = self.backend.metadata()
        if stored.get("bm25"):
            self._bm25_settings = Bm25Settings(**stored["bm25"])
        model = stored.get("sparse_model")
        if model and self._encoder is not None and model != self._encoder.model_name:
            logger.warning(
                "collection %r was indexed with SPLADE model %s but this store encodes with %s;"
                " scores are only meaningful with the same model",
                self.collection,
                model,
                self._encoder.model_name,
            )
        self._vectors = dict(found)

    def _bm25_encoder(self) -> Bm25Encoder:
        if self._bm25 is None:
            self._bm25 = Bm25Encoder(self._bm25_settings)
        return self._bm25

    def _conditions(self, filter: Mapping[str, Any] | None) -> list[Condition]:
        conditions = []
        for key, value in (filter or {}).items():
            path = metadata_path(self.schema, str(key))
            if isinstance(value, list | tuple | set):
                conditions.append(Condition(path, any_of=list(value)))
            elif isinstance(value, str | int | float | bool):
                conditions.append(Condition(path, value=value))
            else:
                raise TypeError(
                    f"filter value for {key!r} must be a str, number, bool or a list of them, "
                    f"got {type(value).__name__}"
                )
        return conditions

    def _execute(self, query: str, plan: SearchPlan, *, explain: bool = False) -> list[Hit]:
        """Run a planned search: one batch of Qdrant queries, then the top hits' payloads."""
        results = self.backend.search(plan.probes, **plan.backend_options())
        ids, payload, vectors = self._to_fetch(plan, results, explain)
        fetched = self.backend.retrieve(ids, payload=payload, vectors=vectors) if ids else []
        return self._hits(query, plan, results, fetched, explain)

    def _to_fetch(
        self, plan: SearchPlan, results: Sequence[Sequence[Found]], explain: bool
    ) -> tuple[list[str], bool, list[str]]:
        """Ids to retrieve after a search, whether with payloads, and which vectors."""
        ids = [point_id for point_id, _ in rank(plan, results)]
        payload = not plan.with_payload
        if not payload and not explain:
            return [], False, []
        return ids, payload, [self._sparse_name()] if explain else []

    def _hits(
        self,
        query: str,
        plan: SearchPlan,
        results: Sequence[Sequence[Found]],
        fetched: Sequence[Found],
        explain_hits: bool,
    ) -> list[Hit]:
        hits = assemble(plan, results, self.schema, {f.id: f for f in fetched if f.payload})
        if not explain_hits or not hits:
            return hits
        name = self._sparse_name()
        vectors = {f.id: v for f in fetched if isinstance(v := f.vectors.get(name), SparseVector)}
        return explain(hits, self.encoder.encode_queries(query), vectors)


def _as_document(item: Document | str, position: int) -> Document:
    if isinstance(item, Document):
        return item
    if isinstance(item, str):
        return Document(item)
    raise TypeError(
        f"documents[{position}] is a {type(item).__name__}; pass str or splade_rag.Document"
    )


def _plan_options(options: dict[str, Any]) -> dict[str, Any]:
    allowed = {
        "mode",
        "top_k",
        "filter",
        "score_threshold",
        "arms",
        "fusion",
        "prefetch",
        "rrf_k",
        "weights",
        "alpha",
        "query_vectors",
    }
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(f"asearch() got unexpected options {sorted(unknown)}")
    return options
