"""The LangChain door: sparse embeddings in langchain-qdrant, the retriever in LCEL chains."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompt_values import PromptValue
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_qdrant import QdrantVectorStore, RetrievalMode, SparseVector

from langchain_splade_rag import (
    SpladeRetriever,
    SpladeSparseEmbeddings,
    format_documents,
    hit_to_document,
)
from splade_rag import CollectionNotFoundError, SchemaMismatchError, SpladeStore
from splade_rag.dense import DenseEncoder
from splade_rag.documents import Document
from splade_rag.encoder import SpladeEncoder


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 as a LangChain `Embeddings` (any LangChain Embeddings would do)."""

    def __init__(self, encoder: DenseEncoder) -> None:
        self.encoder = encoder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encoder.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encoder.encode([text])[0].tolist()


@pytest.fixture(scope="module")
def sparse(splade_tiny: SpladeEncoder) -> SpladeSparseEmbeddings:
    return SpladeSparseEmbeddings(splade_tiny)


@pytest.fixture(scope="module")
def dense(minilm: DenseEncoder) -> MiniLMEmbeddings:
    return MiniLMEmbeddings(minilm)


@pytest.fixture
def store(
    splade_tiny: SpladeEncoder, dense: MiniLMEmbeddings, sample_documents: list[Document]
) -> SpladeStore:
    store = SpladeStore(":memory:", encoder=splade_tiny, dense=dense, chunk_size=None)
    store.add_documents(sample_documents)
    return store


def texts_and_metadata(docs: list[Document]) -> tuple[list[str], list[dict[str, str]]]:
    return [d.text for d in docs], [dict(d.metadata) for d in docs]


def test_embeddings_are_the_encoders_vectors(
    sparse: SpladeSparseEmbeddings, splade_tiny: SpladeEncoder
) -> None:
    query = sparse.embed_query("what is the capital of france")
    expected = splade_tiny.encode_queries("what is the capital of france")
    assert isinstance(query, SparseVector)
    assert query.indices == expected.indices.tolist()
    assert np.allclose(query.values, expected.values)

    docs = sparse.embed_documents(["Paris is the capital of France.", ""])
    assert len(docs) == 2
    assert docs[1].indices == []
    assert (
        asyncio.run(sparse.aembed_query("capital")).indices
        == sparse.embed_query("capital").indices
    )
    assert [v.indices for v in asyncio.run(sparse.aembed_documents(["a cat", "a dog"]))] == [
        v.indices for v in sparse.embed_documents(["a cat", "a dog"])
    ]


def test_pruning_options_apply(splade_tiny: SpladeEncoder) -> None:
    pruned = SpladeSparseEmbeddings(splade_tiny, top_k=3).embed_query("capital of france")
    assert len(pruned.indices) == 3


@pytest.mark.parametrize("mode", [RetrievalMode.SPARSE, RetrievalMode.HYBRID])
def test_langchain_qdrant_store_finds_the_relevant_document(
    mode: RetrievalMode,
    sparse: SpladeSparseEmbeddings,
    dense: MiniLMEmbeddings,
    sample_documents: list[Document],
) -> None:
    texts, metadatas = texts_and_metadata(sample_documents)
    vectorstore = QdrantVectorStore.from_texts(
        texts,
        metadatas=metadatas,
        embedding=dense if mode == RetrievalMode.HYBRID else None,
        sparse_embedding=sparse,
        retrieval_mode=mode,
        location=":memory:",
        collection_name="lc",
    )
    found = vectorstore.similarity_search("what is the capital of france", k=3)
    assert found[0].metadata["topic"] == "paris"
    found = vectorstore.similarity_search("how do plants make sugar from light", k=3)
    assert found[0].metadata["topic"] == "photosynthesis"


def test_retriever_returns_documents_with_scores_and_reasons(store: SpladeStore) -> None:
    retriever = SpladeRetriever(store=store, k=3, explain=True)
    docs = retriever.invoke("what is the capital of france")
    assert len(docs) == 3
    top = docs[0]
    assert top.metadata["topic"] == "paris"
    assert "Paris is the capital of France" in top.page_content
    assert top.metadata["score"] >= docs[1].metadata["score"]
    assert set(top.metadata["scores"]) == {"sparse", "bm25", "dense"}
    terms = [match[0] for match in top.metadata["matched_terms"]]
    assert "capital" in terms


@pytest.mark.parametrize("mode", ["sparse", "bm25", "dense", "hybrid"])
def test_retriever_modes_match_the_store(store: SpladeStore, mode: str) -> None:
    retriever = SpladeRetriever(store=store, mode=mode, k=5)
    docs = retriever.invoke("tcp handshake and packets")
    hits = store.search("tcp handshake and packets", mode=mode, top_k=5)
    assert [d.id for d in docs] == [h.id for h in hits]
    assert docs == [hit_to_document(h) for h in hits]


def test_retriever_filters_and_call_time_options(store: SpladeStore) -> None:
    retriever = SpladeRetriever(store=store, k=5, filter={"topic": ["berlin", "canberra"]})
    docs = retriever.invoke("what is the capital of france")
    assert {d.metadata["topic"] for d in docs} == {"berlin", "canberra"}
    assert len(retriever.invoke("capital city", k=1)) == 1


def test_retriever_async_equals_sync(store: SpladeStore) -> None:
    retriever = SpladeRetriever(store=store, k=4, fusion="dbsf")
    sync = retriever.invoke("espresso coffee")
    assert asyncio.run(retriever.ainvoke("espresso coffee")) == sync
    assert sync[0].metadata["topic"] == "espresso"


def test_lcel_chain_sync_async_and_batch(store: SpladeStore) -> None:
    retriever = SpladeRetriever(store=store, k=2)
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer from these passages:\n{context}"), ("human", "{question}")]
    )
    seen: list[str] = []

    def record(prompt_value: PromptValue) -> PromptValue:
        seen.append(str(prompt_value))
        return prompt_value

    model = FakeListChatModel(responses=["Paris [1]."] * 10)
    chain = (
        {"context": retriever | format_documents, "question": RunnablePassthrough()}
        | prompt
        | RunnableLambda(record)
        | model
        | StrOutputParser()
    )

    assert chain.invoke("what is the capital of france") == "Paris [1]."
    assert "[1] Paris" in seen[-1]
    assert asyncio.run(chain.ainvoke("what is the capital of germany")) == "Paris [1]."
    assert "[1] Berlin" in seen[-1]
    answers = chain.batch(["sourdough bread starter", "chess openings"])
    assert answers == ["Paris [1]."] * 2
    assert any("sourdough" in text.lower() for text in seen[-2:])


def test_empty_question_is_refused(store: SpladeStore) -> None:
    with pytest.raises(ValueError, match="empty"):
        SpladeRetriever(store=store).invoke("   ")


def test_missing_collection_is_refused_at_construction(splade_tiny: SpladeEncoder) -> None:
    with pytest.raises(CollectionNotFoundError, match="index documents first"):
        SpladeRetriever(store=SpladeStore(":memory:", encoder=splade_tiny, bm25=False))


def test_wrong_vector_names_are_refused(
    tmp_path: Path, splade_tiny: SpladeEncoder, sample_documents: list[Document]
) -> None:
    with SpladeStore(tmp_path / "s", encoder=splade_tiny, bm25=False) as writer:
        writer.add_documents(sample_documents[:3])
    reader = SpladeStore(tmp_path / "s", encoder=splade_tiny, bm25=False, schema="langchain")
    with pytest.raises(SchemaMismatchError, match="langchain-sparse"):
        SpladeRetriever(store=reader)


def test_a_dense_model_is_not_a_sparse_provider(dense: MiniLMEmbeddings) -> None:
    with pytest.raises(TypeError, match="SpladeEncoder or a SPLADE model"):
        SpladeSparseEmbeddings(dense)  # type: ignore[arg-type]


def test_a_checkpoint_without_mlm_head_is_refused() -> None:
    from splade_rag import ModelLoadError
    from splade_rag.models import bundled_minilm

    with pytest.raises(ModelLoadError, match=r"MLM head|masked"):
        SpladeSparseEmbeddings(bundled_minilm())
