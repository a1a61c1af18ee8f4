"""splade-rag: SPLADE learned-sparse retrieval for RAG stacks, stored in Qdrant.

Importing the package is cheap: torch and transformers load when an encoder is built.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from splade_rag.lazy import lazy_exports

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


# import public names on first use, so `import splade_rag` stays light
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
