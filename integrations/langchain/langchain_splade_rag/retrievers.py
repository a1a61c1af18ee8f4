"""A LangChain retriever over a splade-rag store: sparse, BM25, dense or hybrid search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, model_validator

from splade_rag import Hit, SpladeStore
from splade_rag.fusion import DEFAULT_FUSION

__all__ = ["SpladeRetriever", "format_documents", "hit_to_document"]


class SpladeRetriever(BaseRetriever):
    """Search a `splade_rag.SpladeStore` from LangChain chains.

    Every hit becomes a `Document` whose metadata holds the stored metadata plus `id`,
    `score` (fused in hybrid mode), `scores` and `ranks` (per arm) and, with `explain=True`,
    `matched_terms`: `(term, query weight, document weight, product)`, largest first.

    The store's dense side takes any LangChain `Embeddings`:
    `SpladeStore(path, dense=HuggingFaceEmbeddings(...))`.

    Example:
        >>> retriever = SpladeRetriever(store=SpladeStore("./splade_index"), k=4)  # doctest: +SKIP
        >>> chain = retriever | format_docs | prompt | model | StrOutputParser()  # doctest: +SKIP
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: SpladeStore
    """The store to search; its collection must exist."""
    mode: str = "hybrid"
    """`sparse` (SPLADE), `bm25`, `dense` or `hybrid`."""
    k: int = 4
    """Documents to return."""
    filter: dict[str, Any] | None = None
    """Metadata conditions, `{key: value}` or `{key: [any, of, these]}`."""
    fusion: str = DEFAULT_FUSION
    """Hybrid fusion: `dbsf` (default) or `rrf` (inside Qdrant), or `convex`."""
    arms: list[str] | None = None
    """The arms a hybrid fuses; default every arm the store can query."""
    prefetch: int = 100
    """Candidates each arm contributes to the fusion."""
    rrf_k: int = 2
    """RRF's rank constant."""
    weights: list[float] | None = None
    """Per-arm weights for RRF and convex fusion."""
    alpha: float | None = None
    """Convex fusion of two arms: the first arm's weight."""
    score_threshold: float | None = None
    """Drop documents scoring below it."""
    explain: bool = False
    """Add the matched SPLADE terms to each document's metadata."""
    search_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Further `SpladeStore.search` options, overriding the fields above."""

    @model_validator(mode="after")
    def _check_store(self) -> SpladeRetriever:
        """Fail at construction on a missing collection or one with other vectors."""
        self.store.check()
        return self

    def _options(self, overrides: dict[str, Any]) -> dict[str, Any]:
        options: dict[str, Any] = {
            "mode": self.mode,
            "top_k": self.k,
            "filter": self.filter,
            "fusion": self.fusion,
            "arms": self.arms,
            "prefetch": self.prefetch,
            "rrf_k": self.rrf_k,
            "weights": self.weights,
            "alpha": self.alpha,
            "score_threshold": self.score_threshold,
            "explain": self.explain,
            **self.search_kwargs,
            **overrides,
        }
        if "k" in options:
            options["top_k"] = options.pop("k")
        return options

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        hits = self.store.search(query, **self._options(kwargs))
        return [hit_to_document(hit) for hit in hits]

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        hits = await self.store.asearch(query, **self._options(kwargs))
        return [hit_to_document(hit) for hit in hits]


def hit_to_document(hit: Hit) -> Document:
    """A LangChain `Document` of a splade-rag hit, its scores and reasons in the metadata."""
    metadata: dict[str, Any] = {
        **hit.metadata,
        "id": hit.id,
        "score": hit.score,
        "scores": dict(hit.scores),
        "ranks": dict(hit.ranks),
    }
    if hit.explanation is not None:
        metadata["matched_terms"] = [tuple(match) for match in hit.explanation]
    return Document(page_content=hit.text, metadata=metadata, id=hit.id)


def format_documents(documents: Sequence[Document]) -> str:
    """The documents' texts, numbered `[1]`, `[2]`, ... for a prompt that cites them."""
    return "\n\n".join(f"[{n}] {doc.page_content}" for n, doc in enumerate(documents, 1))
