"""splade-rag: SPLADE learned-sparse retrieval for RAG stacks, stored in Qdrant.

Importing the package is cheap: torch and transformers load when an encoder is built.
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from splade_rag.bm25 import Bm25Settings
    from splade_rag.dense import DenseEncoder
    from splade_rag.documents import Document
    from splade_rag.encoder import SpladeEncoder
    from splade_rag.errors import (
        CollectionNotFoundError,
        ModelLoadError,
        SchemaMismatchError,
        SpladeRagError,
        StoreError,
    )
    from splade_rag.pooling import splade_pool
    from splade_rag.qdrant.schema import Schema
    from splade_rag.retrieval import Hit
    from splade_rag.store import SpladeStore
    from splade_rag.vectors import SparseVector

__all__ = [
    "Bm25Settings",
    "CollectionNotFoundError",
    "DenseEncoder",
    "Document",
    "Hit",
    "ModelLoadError",
    "Schema",
    "SchemaMismatchError",
    "SparseVector",
    "SpladeEncoder",
    "SpladeRagError",
    "SpladeStore",
    "StoreError",
    "splade_pool",
]
__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

_EXPORTS = {
    "Bm25Settings": "splade_rag.bm25",
    "CollectionNotFoundError": "splade_rag.errors",
    "DenseEncoder": "splade_rag.dense",
    "Document": "splade_rag.documents",
    "Hit": "splade_rag.retrieval",
    "ModelLoadError": "splade_rag.errors",
    "Schema": "splade_rag.qdrant.schema",
    "SchemaMismatchError": "splade_rag.errors",
    "SparseVector": "splade_rag.vectors",
    "SpladeEncoder": "splade_rag.encoder",
    "SpladeRagError": "splade_rag.errors",
    "SpladeStore": "splade_rag.store",
    "StoreError": "splade_rag.errors",
    "splade_pool": "splade_rag.pooling",
}


def __getattr__(name: str) -> Any:
    """Import public names on first use, so `import splade_rag` stays light."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'splade_rag' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
