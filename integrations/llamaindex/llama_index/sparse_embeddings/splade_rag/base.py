"""SPLADE for LlamaIndex: a sparse embedding, and the functions its Qdrant store takes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from llama_index.core.base.embeddings.base_sparse import BaseSparseEmbedding, SparseEmbedding
from llama_index.core.vector_stores.types import VectorStoreQueryResult
from pydantic import PrivateAttr

from splade_rag import SparseVector, SpladeEncoder
from splade_rag.fusion import (
    DEFAULT_RRF_K,
    convex_combination,
    distribution_based_fusion,
    reciprocal_rank_fusion,
)

__all__ = ["SpladeSparseEmbedding", "hybrid_fusion_fn", "sparse_doc_fn", "sparse_query_fn"]

# llama-index-vector-stores-qdrant's sparse encoder type: (indices per text, values per text)
BatchSparseEncoding = tuple[list[list[int]], list[list[float]]]


class SpladeSparseEmbedding(BaseSparseEmbedding):
    """SPLADE sparse embeddings (`{term id: weight}`) for LlamaIndex.

    Texts go through the document encoder and queries through the query encoder, which may be
    a separate model or inference-free.

    Args:
        encoder: a `SpladeEncoder`, or a model (hub id or local folder) to build one from.
        top_k: keep only each vector's heaviest terms (None keeps all).
        min_weight: drop terms lighter than this.
    """

    top_k: int | None = None
    min_weight: float | None = None
    _encoder: SpladeEncoder = PrivateAttr()

    def __init__(
        self,
        encoder: SpladeEncoder | str | Path | None = None,
        *,
        top_k: int | None = None,
        min_weight: float | None = None,
        **kwargs: Any,
    ) -> None:
        encoder = _as_encoder(encoder)
        super().__init__(model_name=encoder.model_name, **kwargs)
        self.top_k = top_k
        self.min_weight = min_weight
        self._encoder = encoder

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex serialises this class under."""
        return "SpladeSparseEmbedding"

    @property
    def encoder(self) -> SpladeEncoder:
        """The SPLADE encoder."""
        return self._encoder

    def _get_query_embedding(self, query: str) -> SparseEmbedding:
        vector = self._encoder.encode_queries(query, top_k=self.top_k, min_weight=self.min_weight)
        return vector.to_dict()

    async def _aget_query_embedding(self, query: str) -> SparseEmbedding:
        return await asyncio.to_thread(self._get_query_embedding, query)

    def _get_text_embedding(self, text: str) -> SparseEmbedding:
        return self._get_text_embeddings([text])[0]

    async def _aget_text_embedding(self, text: str) -> SparseEmbedding:
        return await asyncio.to_thread(self._get_text_embedding, text)

    def _get_text_embeddings(self, texts: list[str]) -> list[SparseEmbedding]:
        vectors = self._encoder.encode_documents(
            texts, top_k=self.top_k, min_weight=self.min_weight
        )
        return [vector.to_dict() for vector in vectors]

    async def _aget_text_embeddings(self, texts: list[str]) -> list[SparseEmbedding]:
        return await asyncio.to_thread(self._get_text_embeddings, texts)


def sparse_doc_fn(
    encoder: SpladeEncoder | str | Path | None = None,
) -> Callable[[list[str]], BatchSparseEncoding]:
    """A `sparse_doc_fn` for `QdrantVectorStore`: SPLADE document vectors of a batch."""
    splade = _as_encoder(encoder)

    def encode(texts: list[str]) -> BatchSparseEncoding:
        return _batch(splade.encode_documents(texts))

    return encode


def sparse_query_fn(
    encoder: SpladeEncoder | str | Path | None = None,
) -> Callable[[list[str]], BatchSparseEncoding]:
    """A `sparse_query_fn` for `QdrantVectorStore`: SPLADE query vectors of a batch."""
    splade = _as_encoder(encoder)

    def encode(texts: list[str]) -> BatchSparseEncoding:
        return _batch(splade.encode_queries(texts))

    return encode


def hybrid_fusion_fn(
    fusion: Literal["rrf", "dbsf", "convex"] = "rrf", *, rrf_k: int = DEFAULT_RRF_K
) -> Callable[..., VectorStoreQueryResult]:
    """A `hybrid_fusion_fn` for `QdrantVectorStore` with splade-rag's fusions.

    `rrf` and `dbsf` fuse as Qdrant does (RRF weighted by `alpha` for dense and `1 - alpha`
    for sparse); `convex` gives min-max normalised dense scores weight `alpha`. `alpha` is the
    query's (LlamaIndex: 0 is all sparse, 1 all dense).
    """
    if fusion not in ("rrf", "dbsf", "convex"):
        raise ValueError(f"fusion must be one of rrf, dbsf, convex; got {fusion!r}")
    if isinstance(rrf_k, bool) or not isinstance(rrf_k, int) or rrf_k < 1:
        raise ValueError(f"rrf_k must be an integer >= 1, got {rrf_k!r}")

    def fuse(
        dense_result: VectorStoreQueryResult,
        sparse_result: VectorStoreQueryResult,
        alpha: float = 0.5,
        top_k: int = 2,
        **_: Any,
    ) -> VectorStoreQueryResult:
        nodes = {}
        rankings = []
        for result in (dense_result, sparse_result):
            pairs = list(zip(result.nodes or [], result.similarities or [], strict=False))
            nodes.update({node.node_id: node for node, _ in pairs})
            rankings.append([(node.node_id, float(score)) for node, score in pairs])
        weights = [alpha, 1.0 - alpha]
        if fusion == "rrf":
            fused = reciprocal_rank_fusion(rankings, k=rrf_k, weights=weights)
        elif fusion == "dbsf":
            fused = distribution_based_fusion(rankings)
        else:
            fused = convex_combination(rankings, weights)
        fused = fused[:top_k]
        return VectorStoreQueryResult(
            nodes=[nodes[key] for key, _ in fused],
            similarities=[score for _, score in fused],
            ids=[key for key, _ in fused],
        )

    return fuse


def _as_encoder(encoder: SpladeEncoder | str | Path | None) -> SpladeEncoder:
    if encoder is None or isinstance(encoder, (str, Path)):
        return SpladeEncoder(encoder)
    if not isinstance(encoder, SpladeEncoder):
        raise TypeError(
            "encoder must be a splade_rag.SpladeEncoder or a SPLADE model (hub id or folder); "
            f"got {type(encoder).__name__}. Dense models belong in `embed_model` instead."
        )
    return encoder


def _batch(vectors: list[SparseVector]) -> BatchSparseEncoding:
    return [v.indices.tolist() for v in vectors], [v.values.tolist() for v in vectors]
