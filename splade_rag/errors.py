"""The package's error types."""

from __future__ import annotations

__all__ = [
    "CollectionNotFoundError",
    "ModelLoadError",
    "SchemaMismatchError",
    "SpladeRagError",
    "StoreError",
]


class SpladeRagError(Exception):
    """Base class of the errors splade-rag raises on purpose."""


class ModelLoadError(SpladeRagError, OSError):
    """A model could not be found, downloaded or used as a SPLADE model.

    It is an `OSError`, as transformers' own loading errors are, so existing handlers catch it.
    """


class StoreError(SpladeRagError):
    """A store cannot be opened or used: not a Qdrant store, locked, or misused."""


class SchemaMismatchError(StoreError):
    """A collection exists but its vectors differ from those asked for; nothing was changed."""


class CollectionNotFoundError(StoreError, LookupError):
    """The collection asked for does not exist in the store."""
