"""The package's error types."""

from __future__ import annotations

__all__ = ["ModelLoadError", "SpladeRagError"]


class SpladeRagError(Exception):
    """Base class of the errors splade-rag raises on purpose."""


class ModelLoadError(SpladeRagError, OSError):
    """A model could not be found, downloaded or used as a SPLADE model.

    It is an `OSError`, as transformers' own loading errors are, so existing handlers catch it.
    """
