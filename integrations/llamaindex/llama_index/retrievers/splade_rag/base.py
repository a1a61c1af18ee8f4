"""A LlamaIndex retriever over a splade-rag store: sparse, BM25, dense or hybrid search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.callbacks import CallbackManager
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from splade_rag import Hit, SpladeStore

__all__ = ["LlamaIndexDense", "SpladeRetriever"]


class LlamaIndexDense:
    """A LlamaIndex `BaseEmbedding` as the dense side of a `SpladeStore`.

    Example:
        >>> dense = LlamaIndexDense(HuggingFaceEmbedding(model_name=...))  # doctest: +SKIP
        >>> store = SpladeStore("./splade_index", dense=dense)  # doctest: +SKIP
    """

    def __init__(self, embed_model: BaseEmbedding) -> None:
        if not isinstance(embed_model, BaseEmbedding):
            raise TypeError(
                f"embed_model must be a LlamaIndex BaseEmbedding, got {type(embed_model).__name__}"
            )
        self.embed_model = embed_model
        self.model_name = embed_model.model_name

    def embed_documents(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Document vectors through the model's text embedding."""
        return np.asarray(self.embed_model.get_text_embedding_batch(texts), dtype=np.float32)

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        """The query vector through the model's query embedding."""
        return np.asarray(self.embed_model.get_query_embedding(text), dtype=np.float32)


class SpladeRetriever(BaseRetriever):
    """Search a `splade_rag.SpladeStore` from LlamaIndex query and chat engines.

    Returns `NodeWithScore`s: the node holds the chunk's text and stored metadata, the score
    is the fused score in hybrid mode. The node metadata also holds `scores` and `ranks` per
    arm and, with `explain=True`, `matched_terms`; these keys are hidden from the LLM and the
    embedding model.

    Args:
        store: the store to search; its collection must exist.
        mode: `sparse` (SPLADE), `bm25`, `dense` or `hybrid`.
        similarity_top_k: nodes to return.
        filter: metadata conditions, `{key: value}` or `{key: [any, of, these]}`.
        explain: add the matched SPLADE terms to each node's metadata.
        callback_manager: LlamaIndex callbacks.
        **search_options: further `SpladeStore.search` options (`fusion`, `arms`,
            `prefetch`, `rrf_k`, `weights`, `alpha`, `score_threshold`).
    """

    def __init__(
        self,
        store: SpladeStore,
        *,
        mode: str = "hybrid",
        similarity_top_k: int = 4,
        filter: dict[str, Any] | None = None,
        explain: bool = False,
        callback_manager: CallbackManager | None = None,
        **search_options: Any,
    ) -> None:
        if not isinstance(store, SpladeStore):
            raise TypeError(f"store must be a splade_rag.SpladeStore, got {type(store).__name__}")
        store.check()
        self.store = store
        self.options: dict[str, Any] = {
            "mode": mode,
            "top_k": similarity_top_k,
            "filter": filter,
            "explain": explain,
            **search_options,
        }
        super().__init__(callback_manager=callback_manager)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self.store.search(query_bundle.query_str, **self.options)
        return nodes_with_scores(hits)

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = await self.store.asearch(query_bundle.query_str, **self.options)
        return nodes_with_scores(hits)


def nodes_with_scores(hits: Sequence[Hit]) -> list[NodeWithScore]:
    """LlamaIndex nodes of splade-rag hits, with per-arm scores and reasons in the metadata."""
    nodes = []
    for hit in hits:
        extra: dict[str, Any] = {"scores": dict(hit.scores), "ranks": dict(hit.ranks)}
        if hit.explanation is not None:
            extra["matched_terms"] = [list(match) for match in hit.explanation]
        node = TextNode(
            id_=hit.id,
            text=hit.text,
            metadata={**hit.metadata, **extra},
            excluded_llm_metadata_keys=list(extra),
            excluded_embed_metadata_keys=list(extra),
        )
        nodes.append(NodeWithScore(node=node, score=hit.score))
    return nodes
