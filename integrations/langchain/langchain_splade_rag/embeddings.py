"""SPLADE as a `langchain_qdrant.SparseEmbeddings` provider."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from langchain_qdrant import SparseEmbeddings, SparseVector

from splade_rag import SparseVector as SpladeVector
from splade_rag import SpladeEncoder

__all__ = ["SpladeSparseEmbeddings"]


class SpladeSparseEmbeddings(SparseEmbeddings):
    """SPLADE sparse vectors for `langchain_qdrant.QdrantVectorStore`.

    Pass it as `sparse_embedding=` with `retrieval_mode=RetrievalMode.SPARSE` or `HYBRID`.
    Documents go through the document encoder and queries through the query encoder (which may
    be a separate model or inference-free), as SPLADE defines them.

    Args:
        encoder: a `SpladeEncoder`, or a model (hub id or local folder) to build one from.
        top_k: keep only each vector's heaviest terms (None keeps all).
        min_weight: drop terms lighter than this.
        **options: further `SpladeEncoder` options when `encoder` is a model name.

    Example:
        >>> store = QdrantVectorStore.from_texts(  # doctest: +SKIP
        ...     texts, sparse_embedding=SpladeSparseEmbeddings(),
        ...     retrieval_mode=RetrievalMode.SPARSE, location=":memory:",
        ... )
    """

    def __init__(
        self,
        encoder: SpladeEncoder | str | Path | None = None,
        *,
        top_k: int | None = None,
        min_weight: float | None = None,
        **options: Any,
    ) -> None:
        if encoder is None or isinstance(encoder, (str, Path)):
            encoder = SpladeEncoder(encoder, **options)
        elif not isinstance(encoder, SpladeEncoder):
            raise TypeError(
                "encoder must be a splade_rag.SpladeEncoder or a SPLADE model (hub id or "
                f"folder); got {type(encoder).__name__}. For dense embeddings use a LangChain "
                "Embeddings as QdrantVectorStore's `embedding` instead."
            )
        elif options:
            raise TypeError(f"encoder options {sorted(options)} need a model name, not an encoder")
        self.encoder = encoder
        self.top_k = top_k
        self.min_weight = min_weight

    def embed_documents(self, texts: list[str]) -> list[SparseVector]:
        """SPLADE document vectors, in input order."""
        vectors = self.encoder.encode_documents(
            texts, top_k=self.top_k, min_weight=self.min_weight
        )
        return [_to_langchain(vector) for vector in vectors]

    def embed_query(self, text: str) -> SparseVector:
        """The SPLADE query vector."""
        vector = self.encoder.encode_queries(text, top_k=self.top_k, min_weight=self.min_weight)
        return _to_langchain(vector)

    async def aembed_documents(self, texts: list[str]) -> list[SparseVector]:
        """`embed_documents` in a worker thread (the model runs on the CPU or GPU)."""
        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> SparseVector:
        """`embed_query` in a worker thread."""
        return await asyncio.to_thread(self.embed_query, text)


def _to_langchain(vector: SpladeVector) -> SparseVector:
    return SparseVector(indices=vector.indices.tolist(), values=vector.values.tolist())
