"""The contract every storage backend meets, in backend-neutral types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from splade_rag.qdrant.schema import Schema, VectorSpec
from splade_rag.vectors import SparseVector

__all__ = [
    "Backend",
    "Condition",
    "Found",
    "Point",
    "Probe",
    "Vector",
]

Vector = SparseVector | npt.NDArray[np.float32]


@dataclass(frozen=True)
class Condition:
    """One payload condition: `key` equals `value`, is one of `any_of`, or is >= `at_least`."""

    key: str
    value: Any = None
    any_of: Sequence[Any] | None = None
    at_least: float | None = None


@dataclass(frozen=True)
class Point:
    """A point to store: a UUID string id, vectors by name, payload."""

    id: str
    vectors: Mapping[str, Vector]
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Probe:
    """One nearest-neighbour search on one named vector."""

    using: str
    vector: Vector
    limit: int


@dataclass(frozen=True)
class Found:
    """A point a query or a lookup returned."""

    id: str
    score: float = 0.0
    payload: Mapping[str, Any] | None = None
    vectors: Mapping[str, Vector] = field(default_factory=dict)


class Backend(Protocol):
    """One Qdrant collection, embedded or remote. Filters are lists of ANDed conditions."""

    collection: str
    location: str

    def vectors(self) -> dict[str, VectorSpec] | None:
        """The collection's vectors, or None if the collection does not exist."""
        ...

    def create(self, schema: Schema, metadata: Mapping[str, Any]) -> None:
        """Create the collection with `schema`'s vectors and store `metadata` beside it."""
        ...

    def metadata(self) -> dict[str, Any]:
        """What `create` stored beside the collection."""
        ...

    def upsert(self, points: Sequence[Point]) -> None:
        """Insert points, replacing those with the same ids."""
        ...

    def retrieve(
        self, ids: Sequence[str], *, payload: bool = True, vectors: Sequence[str] = ()
    ) -> list[Found]:
        """The points with these ids that exist, with payload and the named vectors."""
        ...

    def delete(self, ids: Sequence[str] = (), where: Sequence[Condition] = ()) -> None:
        """Delete points by id, or all points matching `where` (never all: `where` required)."""
        ...

    def count(self, where: Sequence[Condition] = ()) -> int:
        """Exact number of points (matching `where`)."""
        ...

    def scroll(
        self, where: Sequence[Condition], limit: int, offset: str | None
    ) -> tuple[list[Found], str | None]:
        """A page of points with payloads, and the offset of the next page (None at the end)."""
        ...

    def search(
        self,
        probes: Sequence[Probe],
        *,
        limit: int,
        where: Sequence[Condition] = (),
        fusion: Literal["rrf", "dbsf"] | None = None,
        rrf_k: int = 2,
        weights: Sequence[float] | None = None,
        score_threshold: float | None = None,
        payload: bool = True,
    ) -> list[list[Found]]:
        """Run each probe alone, and with `fusion` also all of them fused inside Qdrant.

        `payload=False` returns ids and scores only (cheaper when many candidates come back).

        Returns one result list per probe, then the fused list when `fusion` is set. One call,
        so that a backend can send them as one batch.
        """
        ...

    def optimize(self) -> bool:
        """Build the indexes now where the engine leaves that to the caller.

        Returns whether anything was done.
        """
        ...

    def close(self) -> None:
        """Release the collection (files, locks, connections)."""
        ...
