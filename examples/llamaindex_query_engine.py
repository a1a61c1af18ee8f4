"""LlamaIndex with SPLADE, two ways, over the same small corpus.

1. A `RetrieverQueryEngine` over splade-rag's hybrid retriever (SPLADE + BM25 + dense, fused
   inside Qdrant), answers cited with the terms that matched.
2. LlamaIndex's own `QdrantVectorStore(enable_hybrid=True)` with SPLADE as its sparse
   encoder (`sparse_doc_fn` / `sparse_query_fn`) and splade-rag's RRF as its fusion.

Offline the answers come from the bundled SmolLM2; set `Settings.llm` to any LlamaIndex LLM.

    .venv/bin/python examples/llamaindex_query_engine.py "how do vaccines work?"
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import numpy as np
from _corpus import models, sample_documents
from llama_index.core import StorageContext, VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import (
    CompletionResponse,
    CompletionResponseGen,
    CustomLLM,
    LLMMetadata,
)
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import TextNode
from llama_index.retrievers.splade_rag import LlamaIndexDense, SpladeRetriever
from llama_index.sparse_embeddings.splade_rag import (
    hybrid_fusion_fn,
    sparse_doc_fn,
    sparse_query_fn,
)
from llama_index.vector_stores.qdrant import QdrantVectorStore
from pydantic import PrivateAttr
from qdrant_client import QdrantClient

from splade_rag import SpladeStore
from splade_rag.chat import LocalChatModel
from splade_rag.dense import DenseEncoder


class LocalLLM(CustomLLM):
    """The bundled SmolLM2 as a LlamaIndex LLM (any LlamaIndex LLM can take its place)."""

    _chat: LocalChatModel = PrivateAttr(default_factory=lambda: LocalChatModel(max_new_tokens=60))

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="SmolLM2-135M-Instruct", num_output=60)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self._chat.invoke(prompt).text.strip())

    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        text = ""
        for chunk in self._chat.stream(prompt):
            text += chunk.text
            yield CompletionResponse(text=text, delta=chunk.text)


class DenseEmbedding(BaseEmbedding):
    """splade-rag's DenseEncoder as a LlamaIndex embedding model."""

    _encoder: DenseEncoder = PrivateAttr()

    def __init__(self, encoder: DenseEncoder) -> None:
        super().__init__(model_name=encoder.model_name)
        self._encoder = encoder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vectors([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vectors([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._vectors(texts)

    def _vectors(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = np.asarray(self._encoder.encode(texts)).tolist()
        return vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question", nargs="?", default="how do vaccines work?")
    args = parser.parse_args()

    encoder, dense = models()
    documents = sample_documents()
    embed_model = DenseEmbedding(dense)
    llm = LocalLLM()

    # 1. splade-rag's store and retriever inside a LlamaIndex query engine
    store = SpladeStore(":memory:", encoder=encoder, dense=LlamaIndexDense(embed_model))
    store.add_documents(documents)
    engine = RetrieverQueryEngine.from_args(
        SpladeRetriever(store, similarity_top_k=2, explain=True), llm=llm
    )
    response = engine.query(args.question)
    print(f"Q: {args.question}\nA (splade-rag retriever): {str(response).strip()}")
    for source in response.source_nodes:
        terms = [match[0] for match in source.node.metadata["matched_terms"][:5]]
        print(f"  {source.node.metadata['doc_id']}  {source.score:.3f}  matched {terms}")

    # 2. llama-index's own Qdrant store, with SPLADE as its sparse side
    vector_store = QdrantVectorStore(
        client=QdrantClient(":memory:"),
        collection_name="example",
        enable_hybrid=True,
        sparse_doc_fn=sparse_doc_fn(encoder),
        sparse_query_fn=sparse_query_fn(encoder),
        hybrid_fusion_fn=hybrid_fusion_fn("rrf"),
    )
    index = VectorStoreIndex(
        [TextNode(text=d.text, metadata={"doc_id": d.id}) for d in documents],
        storage_context=StorageContext.from_defaults(vector_store=vector_store),
        embed_model=embed_model,
    )
    engine_2 = index.as_query_engine(
        llm=llm, vector_store_query_mode="hybrid", similarity_top_k=2, sparse_top_k=10
    )
    response = engine_2.query(args.question)
    print(f"A (llama-index QdrantVectorStore + SPLADE): {str(response).strip()}")
    print(f"  sources: {[s.node.metadata['doc_id'] for s in response.source_nodes]}")


if __name__ == "__main__":
    main()
