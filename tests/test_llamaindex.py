"""The LlamaIndex door: sparse embedding, llama-index's Qdrant store hooks, the retriever."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from llama_index.core import StorageContext, VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.chat_engine import ContextChatEngine
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores.types import VectorStoreQueryResult
from llama_index.retrievers.splade_rag import LlamaIndexDense, SpladeRetriever
from llama_index.sparse_embeddings.splade_rag import (
    SpladeSparseEmbedding,
    hybrid_fusion_fn,
    sparse_doc_fn,
    sparse_query_fn,
)
from llama_index.vector_stores.qdrant import QdrantVectorStore
from pydantic import PrivateAttr
from qdrant_client import QdrantClient

from splade_rag import CollectionNotFoundError, SpladeStore
from splade_rag.dense import DenseEncoder
from splade_rag.documents import Document
from splade_rag.encoder import SpladeEncoder
from splade_rag.fusion import reciprocal_rank_fusion


class MiniLMEmbedding(BaseEmbedding):
    """all-MiniLM-L6-v2 as a LlamaIndex `BaseEmbedding` (any BaseEmbedding would do)."""

    _encoder: DenseEncoder = PrivateAttr()

    def __init__(self, encoder: DenseEncoder) -> None:
        super().__init__(model_name="all-MiniLM-L6-v2")
        self._encoder = encoder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encoder.encode([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encoder.encode([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encoder.encode(texts).tolist()


@pytest.fixture(scope="module")
def embed_model(minilm: DenseEncoder) -> MiniLMEmbedding:
    return MiniLMEmbedding(minilm)


@pytest.fixture
def store(
    splade_tiny: SpladeEncoder, embed_model: MiniLMEmbedding, sample_documents: list[Document]
) -> SpladeStore:
    store = SpladeStore(
        ":memory:", encoder=splade_tiny, dense=LlamaIndexDense(embed_model), chunk_size=None
    )
    store.add_documents(sample_documents)
    return store


def nodes(documents: list[Document]) -> list[TextNode]:
    return [TextNode(text=d.text, metadata=dict(d.metadata)) for d in documents]


def test_sparse_embedding_gives_the_encoders_vectors(splade_tiny: SpladeEncoder) -> None:
    embedding = SpladeSparseEmbedding(splade_tiny)
    query = embedding.get_query_embedding("what is the capital of france")
    expected = splade_tiny.encode_queries("what is the capital of france").to_dict()
    assert query.keys() == expected.keys()
    assert list(query.values()) == pytest.approx(list(expected.values()), abs=1e-5)
    docs = embedding.get_text_embedding_batch(["Paris is in France.", "Berlin."])
    alone = splade_tiny.encode_documents("Paris is in France.").to_dict()
    assert docs[0].keys() == alone.keys()
    assert list(docs[0].values()) == pytest.approx(list(alone.values()), abs=1e-5)
    assert asyncio.run(embedding.aget_query_embedding("capital")) == (
        embedding.get_query_embedding("capital")
    )
    assert embedding.model_name == splade_tiny.model_name


def test_sparse_embedding_refuses_a_dense_model(embed_model: MiniLMEmbedding) -> None:
    with pytest.raises(TypeError, match="SpladeEncoder or a SPLADE model"):
        SpladeSparseEmbedding(embed_model)  # type: ignore[arg-type]


def test_sparse_functions_return_the_qdrant_store_format(splade_tiny: SpladeEncoder) -> None:
    indices, values = sparse_doc_fn(splade_tiny)(["Paris is the capital of France.", ""])
    expected = splade_tiny.encode_documents("Paris is the capital of France.")
    assert indices[0] == expected.indices.tolist()
    assert np.allclose(values[0], expected.values)
    assert indices[1] == [] and values[1] == []
    query_indices, _ = sparse_query_fn(splade_tiny)(["capital of france"])
    assert query_indices[0] == splade_tiny.encode_queries("capital of france").indices.tolist()


def result(pairs: list[tuple[str, float]]) -> VectorStoreQueryResult:
    return VectorStoreQueryResult(
        nodes=[TextNode(id_=key, text=key) for key, _ in pairs],
        similarities=[score for _, score in pairs],
        ids=[key for key, _ in pairs],
    )


def test_hybrid_fusion_fn_is_splade_rags_fusion() -> None:
    dense = [("a", 0.9), ("b", 0.8), ("c", 0.1)]
    sparse = [("c", 12.0), ("a", 3.0)]
    fused = hybrid_fusion_fn("rrf", rrf_k=60)(result(dense), result(sparse), alpha=0.3, top_k=2)
    expected = reciprocal_rank_fusion([dense, sparse], k=60, weights=[0.3, 0.7])[:2]
    assert fused.ids == [key for key, _ in expected]
    assert fused.similarities == pytest.approx([score for _, score in expected])
    assert [n.node_id for n in fused.nodes or []] == fused.ids

    convex = hybrid_fusion_fn("convex")(result(dense), result(sparse), alpha=1.0, top_k=3)
    assert convex.ids == ["a", "b", "c"]  # alpha 1: dense order only
    assert len(hybrid_fusion_fn("dbsf")(result(dense), result(sparse), top_k=3).ids or []) == 3
    with pytest.raises(ValueError, match="fusion must be one of"):
        hybrid_fusion_fn("max")  # type: ignore[arg-type]


def test_llama_index_qdrant_store_with_our_sparse_functions(
    splade_tiny: SpladeEncoder, embed_model: MiniLMEmbedding, sample_documents: list[Document]
) -> None:
    vector_store = QdrantVectorStore(
        client=QdrantClient(":memory:"),
        collection_name="li",
        enable_hybrid=True,
        sparse_doc_fn=sparse_doc_fn(splade_tiny),
        sparse_query_fn=sparse_query_fn(splade_tiny),
        hybrid_fusion_fn=hybrid_fusion_fn("rrf"),
    )
    index = VectorStoreIndex(
        nodes(sample_documents),
        storage_context=StorageContext.from_defaults(vector_store=vector_store),
        embed_model=embed_model,
    )
    for mode in ("hybrid", "sparse"):
        retriever = index.as_retriever(
            vector_store_query_mode=mode, similarity_top_k=3, sparse_top_k=10
        )
        found = retriever.retrieve("what is the capital of france")
        assert found[0].node.metadata["topic"] == "paris", mode


def test_retriever_returns_nodes_with_scores_and_reasons(store: SpladeStore) -> None:
    retriever = SpladeRetriever(store, similarity_top_k=3, explain=True)
    found = retriever.retrieve("what is the capital of france")
    assert len(found) == 3
    top = found[0]
    assert top.node.metadata["topic"] == "paris"
    assert "Paris is the capital of France" in top.node.get_content()
    assert top.score == pytest.approx(store.search("what is the capital of france")[0].score)
    assert "capital" in [match[0] for match in top.node.metadata["matched_terms"]]
    # the reasons stay out of what the LLM reads
    assert "matched_terms" not in top.node.get_content(metadata_mode="llm")


@pytest.mark.parametrize("mode", ["sparse", "bm25", "dense", "hybrid"])
def test_retriever_modes_match_the_store(store: SpladeStore, mode: str) -> None:
    found = SpladeRetriever(store, mode=mode, similarity_top_k=5).retrieve("espresso coffee")
    hits = store.search("espresso coffee", mode=mode, top_k=5)
    assert [n.node.node_id for n in found] == [h.id for h in hits]


def test_retriever_async_equals_sync(store: SpladeStore) -> None:
    retriever = SpladeRetriever(store, similarity_top_k=4, filter={"topic": ["tides", "tcp"]})
    sync = retriever.retrieve("ocean tides and the moon")
    again = asyncio.run(retriever.aretrieve("ocean tides and the moon"))
    assert [n.node.node_id for n in again] == [n.node.node_id for n in sync]
    assert {n.node.metadata["topic"] for n in sync} == {"tides", "tcp"}


def test_retriever_in_query_and_chat_engines(store: SpladeStore) -> None:
    retriever = SpladeRetriever(store, similarity_top_k=2)
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM())
    response = engine.query("how do vaccines train the immune system")
    assert response.source_nodes[0].node.metadata["topic"] == "vaccines"
    response = asyncio.run(engine.aquery("sourdough starter bread"))
    assert response.source_nodes[0].node.metadata["topic"] == "sourdough"

    chat = ContextChatEngine.from_defaults(retriever=retriever, llm=MockLLM())
    reply = chat.chat("tell me about the moon landing")
    assert reply.source_nodes[0].node.metadata["topic"] == "moon-landing"


def test_missing_collection_is_refused(splade_tiny: SpladeEncoder) -> None:
    with pytest.raises(CollectionNotFoundError, match="index documents first"):
        SpladeRetriever(SpladeStore(":memory:", encoder=splade_tiny, bm25=False))


def test_empty_query_is_refused(store: SpladeStore) -> None:
    with pytest.raises(ValueError, match="empty"):
        SpladeRetriever(store).retrieve("")


def test_llama_index_dense_refuses_other_objects() -> None:
    with pytest.raises(TypeError, match="BaseEmbedding"):
        LlamaIndexDense(lambda texts: texts)  # type: ignore[arg-type]
