"""What a collection holds: vector names and kinds, payload layout, and presets for interop."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal, get_args

from splade_rag.errors import SchemaMismatchError

__all__ = ["PRESETS", "PayloadLayout", "Schema", "VectorSpec", "check_schema"]

PayloadLayout = Literal["nested", "llama-node"]
PAYLOAD_LAYOUTS: tuple[str, ...] = get_args(PayloadLayout)


@dataclass(frozen=True)
class VectorSpec:
    """One named vector of a collection: sparse (optionally with IDF) or dense of a size."""

    sparse: bool
    idf: bool = False
    size: int | None = None

    def describe(self) -> str:
        """A short human form, e.g. `sparse`, `sparse+idf` or `dense(384, cosine)`."""
        if self.sparse:
            return "sparse+idf" if self.idf else "sparse"
        return f"dense({self.size}, cosine)"


@dataclass(frozen=True)
class Schema:
    """Vector names and payload keys of a collection.

    A name set to None leaves that arm out. The presets match what `langchain-qdrant` and
    `llama-index-vector-stores-qdrant` write, so one collection serves all three.

    Args:
        sparse: name of the SPLADE vector.
        dense: name of the dense vector (present when `dense_size` is set).
        bm25: name of the BM25 vector, scored by Qdrant with its IDF modifier.
        dense_size: size of the dense vectors; None for a collection without them.
        sparse_idf: apply Qdrant's IDF modifier to the SPLADE vector too (off: SPLADE weights
            already carry term importance).
        layout: `"nested"` keeps `{text_key: ..., metadata_key: {...}}`; `"llama-node"` writes
            LlamaIndex's node payload (flat metadata plus `_node_content`).
        text_key: payload key of the text (nested layout).
        metadata_key: payload key of the metadata (nested layout).
    """

    sparse: str | None = "splade"
    dense: str | None = "dense"
    bm25: str | None = "bm25"
    dense_size: int | None = None
    sparse_idf: bool = False
    layout: PayloadLayout = "nested"
    text_key: str = "text"
    metadata_key: str = "metadata"

    def __post_init__(self) -> None:
        if self.layout not in PAYLOAD_LAYOUTS:
            raise ValueError(
                f"layout must be one of {', '.join(PAYLOAD_LAYOUTS)}; got {self.layout!r}"
            )
        names = [n for n in (self.sparse, self.dense_name, self.bm25) if n is not None]
        if len(set(names)) != len(names):
            raise ValueError(f"vector names must differ, got {names}")
        if not names:
            raise ValueError("a collection needs at least one vector: sparse, dense or bm25")
        if self.dense_size is not None and self.dense_size < 1:
            raise ValueError(f"dense_size must be >= 1, got {self.dense_size}")

    @property
    def dense_name(self) -> str | None:
        """The dense vector's name, or None when the collection has no dense vectors."""
        return self.dense if self.dense_size is not None else None

    def vectors(self) -> dict[str, VectorSpec]:
        """The collection's vectors by name."""
        specs: dict[str, VectorSpec] = {}
        if self.sparse is not None:
            specs[self.sparse] = VectorSpec(sparse=True, idf=self.sparse_idf)
        if self.bm25 is not None:
            specs[self.bm25] = VectorSpec(sparse=True, idf=True)
        if self.dense_name is not None:
            specs[self.dense_name] = VectorSpec(sparse=False, size=self.dense_size)
        return specs

    def with_dense_size(self, size: int | None) -> Schema:
        """This schema with dense vectors of `size` (None: without dense vectors)."""
        return replace(self, dense_size=size)


PRESETS: Mapping[str, Schema] = {
    "default": Schema(),
    # langchain-qdrant: unnamed dense vector, "langchain-sparse", page_content / metadata
    "langchain": Schema(sparse="langchain-sparse", dense="", bm25=None, text_key="page_content"),
    # llama-index-vector-stores-qdrant (hybrid): "text-dense", "text-sparse-new", node payload
    "llamaindex": Schema(
        sparse="text-sparse-new", dense="text-dense", bm25=None, layout="llama-node"
    ),
}


def check_schema(collection: str, wanted: Schema, found: Mapping[str, VectorSpec]) -> None:
    """Raise `SchemaMismatchError` unless every vector `wanted` exists in `found` as asked.

    Vectors the collection has beyond those asked for are fine: they belong to other tools.
    """
    asked = wanted.vectors()
    wrong = {name: spec for name, spec in asked.items() if found.get(name) != spec}
    if not wrong:
        return
    shown_found = {name: spec.describe() for name, spec in found.items()}
    shown_asked = {name: spec.describe() for name, spec in asked.items()}
    raise SchemaMismatchError(
        f"collection {collection!r} does not have the vectors asked for.\n"
        f"  asked: {json.dumps(shown_asked)}\n"
        f"  found: {json.dumps(shown_found)}\n"
        "Nothing was changed. Open it with matching settings (vector names, dense model and "
        "size, BM25 on or off: see Schema and its presets), or index into a new collection "
        "name."
    )
