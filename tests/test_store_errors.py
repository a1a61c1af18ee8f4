"""Bad input to the store: clear errors, and stored data left intact."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient

from splade_rag.dense import DenseEncoder
from splade_rag.documents import Document
from splade_rag.encoder import SpladeEncoder
from splade_rag.errors import CollectionNotFoundError, SchemaMismatchError, StoreError
from splade_rag.store import SpladeStore

DOCS = [
    Document("Paris is the capital of France.", {"lang": "en"}, id="paris"),
    Document("Bread rises because yeast makes gas.", {"lang": "en"}, id="bread"),
]


def fake_dense(size: int):  # type: ignore[no-untyped-def]
    """A deterministic dense embedder of `size` dimensions (hash-seeded random vectors)."""

    def embed(texts: list[str]) -> np.ndarray:
        rows = [np.random.default_rng(abs(hash(t)) % 2**32).normal(size=size) for t in texts]
        return np.asarray(rows, dtype=np.float32)

    return embed


@pytest.fixture
def sparse_only(tmp_path: Path, splade_tiny: SpladeEncoder) -> SpladeStore:
    store = SpladeStore(tmp_path / "store", encoder=splade_tiny)
    store.add_documents(DOCS)
    return store


def test_empty_query_and_unknown_options(sparse_only: SpladeStore) -> None:
    with pytest.raises(ValueError, match="query is empty"):
        sparse_only.search("   ")
    with pytest.raises(
        ValueError, match=r"mode must be one of sparse, bm25, dense, hybrid; got 'fuzzy'"
    ):
        sparse_only.search("capital", mode="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fusion must be one of rrf, dbsf, convex"):
        sparse_only.search("capital", fusion="max")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="top_k must be an integer >= 1, got 0"):
        sparse_only.search("capital", top_k=0)
    with pytest.raises(ValueError, match="alpha needs fusion='convex'"):
        sparse_only.search("capital", alpha=0.5)
    with pytest.raises(TypeError, match="filter value for 'lang'"):
        sparse_only.search("capital", filter={"lang": {"nested": 1}})


def test_dense_search_on_a_sparse_only_store(
    sparse_only: SpladeStore, minilm: DenseEncoder
) -> None:
    with pytest.raises(ValueError, match="has no dense vectors"):
        sparse_only.search("capital", mode="dense")

    assert {h.metadata["doc_id"] for h in sparse_only.search("capital")} == {"paris"}


def test_dense_mode_without_a_dense_encoder(tmp_path: Path, splade_tiny: SpladeEncoder) -> None:
    with SpladeStore(tmp_path / "s", encoder=splade_tiny, dense=fake_dense(8)) as store:
        store.add_documents(DOCS)
    reader = SpladeStore(tmp_path / "s", encoder=splade_tiny)
    with pytest.raises(ValueError, match="dense search needs a dense encoder"):
        reader.search("capital", mode="dense")
    assert reader.search("capital", mode="sparse")[0].metadata["doc_id"] == "paris"
    reader.close()


def test_wrong_dense_size_is_refused_and_changes_nothing(
    tmp_path: Path, splade_tiny: SpladeEncoder, minilm: DenseEncoder
) -> None:
    with SpladeStore(tmp_path / "s", encoder=splade_tiny, dense=fake_dense(8)) as store:
        store.add_documents(DOCS)

    other = SpladeStore(tmp_path / "s", encoder=splade_tiny, dense=minilm)
    with pytest.raises(SchemaMismatchError) as caught:
        other.add_documents([Document("new text", id="new")])
    with pytest.raises(SchemaMismatchError):
        other.search("capital")
    other.close()
    message = str(caught.value)
    assert '"dense": "dense(384, cosine)"' in message and '"dense": "dense(8, cosine)"' in message
    assert "Nothing was changed" in message

    with SpladeStore(tmp_path / "s", encoder=splade_tiny, dense=fake_dense(8)) as store:
        assert store.count() == 2


def test_callable_dense_of_another_size_at_query_time(
    tmp_path: Path, splade_tiny: SpladeEncoder
) -> None:
    with SpladeStore(tmp_path / "s", encoder=splade_tiny, dense=fake_dense(8)) as store:
        store.add_documents(DOCS)
    other = SpladeStore(tmp_path / "s", encoder=splade_tiny, dense=fake_dense(16))
    with pytest.raises(ValueError, match="gives 16-dimensional vectors but collection"):
        other.search("capital", mode="dense")
    other.close()


def test_schema_mismatch_shows_both_sides(tmp_path: Path, splade_tiny: SpladeEncoder) -> None:
    with SpladeStore(tmp_path / "s", encoder=splade_tiny, bm25=False) as store:
        store.add_documents(DOCS)

    other = SpladeStore(tmp_path / "s", encoder=splade_tiny, schema="langchain")
    with pytest.raises(
        SchemaMismatchError, match=r"(?s)asked: .*langchain-sparse.*found: .*splade"
    ):
        other.add_documents(DOCS)
    other.close()

    with SpladeStore(tmp_path / "s", encoder=splade_tiny, bm25=False) as store:
        assert store.count() == 2


@pytest.mark.parametrize("kind", ["edge", "client"])
def test_unknown_collection(tmp_path: Path, splade_tiny: SpladeEncoder, kind: str) -> None:
    options = {"client": QdrantClient(":memory:")} if kind == "client" else {}
    location = None if options else tmp_path / "s"
    store = SpladeStore(location, collection="nope", encoder=splade_tiny, **options)  # type: ignore[arg-type]

    with pytest.raises(CollectionNotFoundError, match=r"collection 'nope' does not exist.*index"):
        store.search("capital")
    with pytest.raises(CollectionNotFoundError):
        store.count()
    assert not store.exists()


def test_folder_that_is_not_a_qdrant_store(tmp_path: Path, splade_tiny: SpladeEncoder) -> None:
    (tmp_path / "s" / "splade_rag").mkdir(parents=True)
    (tmp_path / "s" / "splade_rag" / "notes.txt").write_text("mine")

    with pytest.raises(StoreError, match="is not a Qdrant Edge collection"):
        SpladeStore(tmp_path / "s", encoder=splade_tiny).add_documents(DOCS)
    assert sorted(p.name for p in (tmp_path / "s" / "splade_rag").iterdir()) == ["notes.txt"]

    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        SpladeStore(tmp_path / "file", encoder=splade_tiny)


def test_store_locked_by_another_process(sparse_only: SpladeStore, tmp_path: Path) -> None:
    holder = textwrap.dedent(
        f"""
        import sys, time
        from splade_rag.qdrant.edge import EdgeBackend
        backend = EdgeBackend({str(tmp_path / "store")!r}, "splade_rag")
        backend.count()
        print("open", flush=True)
        sys.stdin.read()
        """
    )
    sparse_only.close()
    process = subprocess.Popen(
        [sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "open"
        with pytest.raises(StoreError, match="open in another process"):
            sparse_only.count()
    finally:
        process.communicate("", timeout=30)

    assert sparse_only.count() == 2  # once the other process is gone, all data is there
