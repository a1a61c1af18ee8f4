"""Shared set-up of the examples: the bundled sample corpus and models that work offline."""

from __future__ import annotations

import sys
from importlib import resources

from splade_rag import Document, SpladeEncoder
from splade_rag.dense import DenseEncoder
from splade_rag.documents import read_documents
from splade_rag.models import choose_dense_model, choose_model


def sample_documents() -> list[Document]:
    """The 24 short documents shipped with splade-rag (ids are topic names)."""
    sample = resources.files("splade_rag").joinpath("data/sample_corpus.jsonl")
    with resources.as_file(sample) as path:
        return list(read_documents(path))


def models() -> tuple[SpladeEncoder, DenseEncoder]:
    """The default SPLADE and dense models, or the bundled small ones when no hub answers."""
    sparse, notice = choose_model(None)
    if notice:
        print(f"note: {notice}", file=sys.stderr)
    dense, notice = choose_dense_model(None)
    if notice:
        print(f"note: {notice}", file=sys.stderr)
    return SpladeEncoder(sparse), DenseEncoder(dense)
