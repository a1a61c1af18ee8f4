"""One collection, three doors: what LangChain or LlamaIndex writes, every door reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings
from langchain_qdrant import QdrantVectorStore as LcQdrant
from langchain_qdrant import RetrievalMode
from llama_index.core import StorageContext, VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import TextNode
from llama_index.retrievers.splade_rag import LlamaIndexDense
from llama_index.retrievers.splade_rag import SpladeRetriever as LiRetriever
from llama_index.sparse_embeddings.splade_rag import sparse_doc_fn, sparse_query_fn
from llama_index.vector_stores.qdrant import QdrantVectorStore as LiQdrant
from pydantic import PrivateAttr
from qdrant_client import QdrantClient

from langchain_splade_rag import SpladeRetriever as LcRetriever
from langchain_splade_rag import SpladeSparseEmbeddings
from splade_rag import SpladeStore
from splade_rag.cli import main
from splade_rag.dense import DenseEncoder
from splade_rag.documents import Document
from splade_rag.encoder import SpladeEncoder

QUERIES = ["what is the capital of france", "ocean tides and the moon", "espresso coffee"]


class LcMiniLM(Embeddings):
    def __init__(self, encoder: DenseEncoder) -> None:
        self.encoder = encoder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encoder.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encoder.encode([text])[0].tolist()


class LiMiniLM(BaseEmbedding):
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


def cli_ids(folder: Path, schema: str, model: Path, query: str, mode: str) -> list[str]:
    """The ids `splade-rag search --json` returns."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(
            [
                "search",
                query,
                "--store",
                str(folder),
                "--collection",
                "shared",
                "--schema",
                schema,
                "--model",
                str(model),
                "--no-dense",
                "--mode",
                mode,
                "--top-k",
                "5",
                "--json",
            ]
        )
    assert status == 0
    return [hit["id"] for hit in json.loads(out.getvalue())]


def test_written_by_langchain_read_by_every_door(
    tmp_path: Path,
    splade_tiny: SpladeEncoder,
    splade_tiny_path: Path,
    minilm: DenseEncoder,
    sample_documents: list[Document],
) -> None:
    folder = tmp_path / "lc"
    written = LcQdrant.from_texts(
        [d.text for d in sample_documents],
        metadatas=[{"doc_id": d.id} for d in sample_documents],
        embedding=LcMiniLM(minilm),
        sparse_embedding=SpladeSparseEmbeddings(splade_tiny),
        retrieval_mode=RetrievalMode.HYBRID,
        path=str(folder),
        collection_name="shared",
    )
    expected = {
        q: [doc.metadata["_id"] for doc in written.similarity_search(q, k=5)] for q in QUERIES
    }
    langchain_sparse = LcQdrant(
        client=written.client,
        collection_name="shared",
        sparse_embedding=SpladeSparseEmbeddings(splade_tiny),
        retrieval_mode=RetrievalMode.SPARSE,
        sparse_vector_name="langchain-sparse",
    )
    sparse_expected = {
        q: [doc.metadata["_id"] for doc in langchain_sparse.similarity_search(q, k=5)]
        for q in QUERIES
    }
    written.client.close()

    for query in QUERIES:
        assert (
            cli_ids(folder, "langchain", splade_tiny_path, query, "sparse")
            == (sparse_expected[query])
        )

    store = SpladeStore(
        folder,
        collection="shared",
        schema="langchain",
        encoder=splade_tiny,
        dense=LcMiniLM(minilm),
    )
    for query in QUERIES:
        assert [h.id for h in store.search(query, mode="sparse", top_k=5)] == (
            sparse_expected[query]
        )
        by_langchain = LcRetriever(store=store, k=5).invoke(query)
        by_llamaindex = LiRetriever(store, similarity_top_k=5).retrieve(query)
        assert [d.id for d in by_langchain] == [n.node.node_id for n in by_llamaindex]
        assert set(expected[query][:1]) <= {d.id for d in by_langchain}
    espresso = next(d for d in sample_documents if d.id == "espresso")
    assert by_langchain[0].page_content == espresso.text
    store.close()


def test_written_by_llamaindex_read_by_every_door(
    tmp_path: Path,
    splade_tiny: SpladeEncoder,
    splade_tiny_path: Path,
    minilm: DenseEncoder,
    sample_documents: list[Document],
) -> None:
    folder = tmp_path / "li"
    client = QdrantClient(path=str(folder))
    vector_store = LiQdrant(
        client=client,
        collection_name="shared",
        enable_hybrid=True,
        sparse_doc_fn=sparse_doc_fn(splade_tiny),
        sparse_query_fn=sparse_query_fn(splade_tiny),
    )
    index = VectorStoreIndex(
        # LlamaIndex keeps "doc_id" in the payload for the source document's id
        [TextNode(text=d.text, metadata={"topic": d.id}) for d in sample_documents],
        storage_context=StorageContext.from_defaults(vector_store=vector_store),
        embed_model=LiMiniLM(minilm),
    )
    sparse_retriever = index.as_retriever(
        vector_store_query_mode="sparse", similarity_top_k=5, sparse_top_k=5
    )
    expected = {q: [n.node.node_id for n in sparse_retriever.retrieve(q)] for q in QUERIES}
    client.close()

    for query in QUERIES:
        assert (
            cli_ids(folder, "llamaindex", splade_tiny_path, query, "sparse") == (expected[query])
        )

    store = SpladeStore(
        folder,
        collection="shared",
        schema="llamaindex",
        encoder=splade_tiny,
        dense=LlamaIndexDense(LiMiniLM(minilm)),
    )
    for query in QUERIES:
        assert [h.id for h in store.search(query, mode="sparse", top_k=5)] == expected[query]
        by_langchain = LcRetriever(store=store, k=5).invoke(query)
        by_llamaindex = LiRetriever(store, similarity_top_k=5).retrieve(query)
        assert [d.id for d in by_langchain] == [n.node.node_id for n in by_llamaindex]
    hit = store.search("what is the capital of france", top_k=1)[0]
    assert hit.metadata["topic"] == "paris"
    assert hit.text == sample_documents[0].text
    store.close()


@pytest.mark.parametrize("schema", ["langchain", "llamaindex"])
def test_our_writes_are_read_by_the_frameworks(
    tmp_path: Path,
    schema: str,
    splade_tiny: SpladeEncoder,
    minilm: DenseEncoder,
    sample_documents: list[Document],
) -> None:
    client = QdrantClient(path=str(tmp_path / "ours"))
    store = SpladeStore(
        client=client,
        collection="shared",
        schema=schema,
        encoder=splade_tiny,
        dense=minilm,
        chunk_size=None,
    )
    store.add_documents(sample_documents)
    query = "how do plants make sugar from light"
    if schema == "langchain":
        reader = LcQdrant(
            client=client,
            collection_name="shared",
            embedding=LcMiniLM(minilm),
            sparse_embedding=SpladeSparseEmbeddings(splade_tiny),
            retrieval_mode=RetrievalMode.HYBRID,
            sparse_vector_name="langchain-sparse",
        )
        top = reader.similarity_search(query, k=1)[0]
        assert top.page_content == sample_documents[3].text
        assert top.metadata["doc_id"] == "photosynthesis"
    else:
        vector_store = LiQdrant(
            client=client,
            collection_name="shared",
            enable_hybrid=True,
            sparse_doc_fn=sparse_doc_fn(splade_tiny),
            sparse_query_fn=sparse_query_fn(splade_tiny),
        )
        index = VectorStoreIndex.from_vector_store(vector_store, embed_model=LiMiniLM(minilm))
        retriever = index.as_retriever(
            vector_store_query_mode="hybrid", similarity_top_k=1, sparse_top_k=5
        )
        node = retriever.retrieve(query)[0].node
        assert node.get_content() == sample_documents[3].text
        assert node.metadata["doc_id"] == "photosynthesis"
    client.close()
