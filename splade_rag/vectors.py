"""The sparse vector type: term ids with weights over a vocabulary."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from qdrant_client import models as qdrant_models
    from scipy import sparse

__all__ = ["SparseVector"]


@dataclass(frozen=True, eq=False)
class SparseVector:
    """A sparse vector: sorted, unique int32 `indices` with float32 `values`.

    Indices are vocabulary ids, so a vector made by an encoder carries that encoder's
    vocabulary (`vocab`) and can be decoded into readable terms. Vectors are immutable;
    pruning returns a new vector.

    Example:
        >>> v = SparseVector.from_dict({2054: 0.4, 3007: 2.8}, vocab=None)
        >>> v.to_dict()
        {2054: 0.4000000059604645, 3007: 2.799999952316284}
    """

    indices: npt.NDArray[np.int32]
    values: npt.NDArray[np.float32]
    vocab: Sequence[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        indices = np.ascontiguousarray(self.indices, dtype=np.int32)
        values = np.ascontiguousarray(self.values, dtype=np.float32)
        if indices.ndim != 1 or values.shape != indices.shape:
            raise ValueError(
                "indices and values must be 1-D arrays of one length, got shapes "
                f"{indices.shape} and {values.shape}"
            )
        if indices.size and (np.any(indices[1:] <= indices[:-1]) or indices[0] < 0):
            raise ValueError(
                "indices must be non-negative, unique and sorted; build the vector with "
                "SparseVector.from_pairs() to sort and merge them"
            )
        indices.flags.writeable = False
        values.flags.writeable = False
        object.__setattr__(self, "indices", indices)
        object.__setattr__(self, "values", values)

    @classmethod
    def empty(cls, vocab: Sequence[str] | None = None) -> SparseVector:
        """The vector with no terms (what empty text encodes to)."""
        return cls(np.empty(0, np.int32), np.empty(0, np.float32), vocab)

    @classmethod
    def from_pairs(
        cls,
        indices: Iterable[int] | npt.NDArray[np.integer[Any]],
        values: Iterable[float] | npt.NDArray[np.floating[Any]],
        vocab: Sequence[str] | None = None,
    ) -> SparseVector:
        """Build from unsorted pairs; zero weights are dropped and repeated ids summed."""
        idx = np.asarray(indices if isinstance(indices, np.ndarray) else list(indices))
        val = np.asarray(values if isinstance(values, np.ndarray) else list(values))
        idx = idx.astype(np.int64, copy=False)
        val = val.astype(np.float32, copy=False)
        keep = val != 0
        unique, inverse = np.unique(idx[keep], return_inverse=True)
        summed = np.zeros(unique.shape, np.float32)
        np.add.at(summed, inverse, val[keep])
        return cls(unique.astype(np.int32), summed, vocab)

    @classmethod
    def from_dict(
        cls, weights: Mapping[int, float], vocab: Sequence[str] | None = None
    ) -> SparseVector:
        """Build from `{term_id: weight}`."""
        return cls.from_pairs(list(weights.keys()), list(weights.values()), vocab)

    @classmethod
    def from_qdrant(cls, vector: Any, vocab: Sequence[str] | None = None) -> SparseVector:
        """Build from any object with `indices` and `values` (Qdrant's sparse vectors)."""
        return cls.from_pairs(list(vector.indices), list(vector.values), vocab)

    @classmethod
    def from_scipy(
        cls, row: sparse.sparray | sparse.spmatrix, vocab: Sequence[str] | None = None
    ) -> SparseVector:
        """Build from a scipy sparse matrix or array with one row."""
        coo = row.tocoo()
        if coo.shape[0] != 1:
            raise ValueError(f"expected a matrix with one row, got shape {coo.shape}")
        return cls.from_pairs(coo.col, coo.data, vocab)

    def __len__(self) -> int:
        return int(self.indices.size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SparseVector):
            return NotImplemented
        return bool(
            np.array_equal(self.indices, other.indices)
            and np.array_equal(self.values, other.values)
        )

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[int, float]:
        """`{term_id: weight}` with Python numbers."""
        return dict(zip(self.indices.tolist(), self.values.tolist(), strict=True))

    def to_qdrant(self) -> qdrant_models.SparseVector:
        """As `qdrant_client.models.SparseVector`."""
        from qdrant_client import models

        return models.SparseVector(indices=self.indices.tolist(), values=self.values.tolist())

    def to_scipy(self, dim: int | None = None) -> sparse.csr_array:
        """As a `(1, dim)` scipy CSR array; `dim` defaults to the vocabulary size."""
        from scipy import sparse

        size = dim if dim is not None else self._dim()
        if self.indices.size and self.indices[-1] >= size:
            raise ValueError(f"dim={size} is too small for term id {int(self.indices[-1])}")
        indptr = np.array([0, self.indices.size], dtype=np.int32)
        return sparse.csr_array((self.values, self.indices, indptr), shape=(1, size))

    def prune(self, top_k: int | None = None, min_weight: float | None = None) -> SparseVector:
        """Keep the `top_k` heaviest terms and/or the terms weighing at least `min_weight`."""
        _check_pruning(top_k, min_weight)
        keep = np.ones(self.indices.size, dtype=bool)
        if min_weight is not None:
            keep &= self.values >= min_weight
        if top_k is not None and int(keep.sum()) > top_k:
            candidates = np.flatnonzero(keep)
            # stable order: ties keep the lower term id, so pruning is deterministic
            order = np.argsort(-self.values[candidates], kind="stable")[:top_k]
            keep = np.zeros_like(keep)
            keep[candidates[order]] = True
        if keep.all():
            return self
        return SparseVector(self.indices[keep], self.values[keep], self.vocab)

    def dot(self, other: SparseVector) -> float:
        """The dot product with another sparse vector (the SPLADE relevance score)."""
        _, mine, theirs = np.intersect1d(
            self.indices, other.indices, assume_unique=True, return_indices=True
        )
        return float(np.dot(self.values[mine].astype(np.float64), other.values[theirs]))

    def matched_terms(self, other: SparseVector) -> list[tuple[str, float, float, float]]:
        """Terms both vectors share: `(term, my weight, other weight, product)`, largest first."""
        common, mine, theirs = np.intersect1d(
            self.indices, other.indices, assume_unique=True, return_indices=True
        )
        terms = self._terms(common)
        rows = [
            (term, float(a), float(b), float(a) * float(b))
            for term, a, b in zip(terms, self.values[mine], other.values[theirs], strict=True)
        ]
        return sorted(rows, key=lambda row: -row[3])

    def decode(self, vocab: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """`(term, weight)` pairs, heaviest first, using `vocab` or the encoder's vocabulary."""
        order = np.argsort(-self.values, kind="stable")
        terms = self._terms(self.indices[order], vocab)
        return list(zip(terms, self.values[order].tolist(), strict=True))

    def _terms(self, ids: npt.NDArray[np.int32], vocab: Sequence[str] | None = None) -> list[str]:
        table = vocab if vocab is not None else self.vocab
        if table is None:
            raise ValueError(
                "this vector has no vocabulary to decode with; pass vocab=... (a list of "
                "terms by id) or decode vectors made by a SpladeEncoder"
            )
        return [table[i] if i < len(table) else f"[id {i}]" for i in ids.tolist()]

    def _dim(self) -> int:
        if self.vocab is not None:
            return len(self.vocab)
        if self.indices.size:
            return int(self.indices[-1]) + 1
        return 0


def _check_pruning(top_k: int | None, min_weight: float | None) -> None:
    """Reject pruning options outside their valid ranges."""
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k must be an integer >= 1 or None, got {top_k!r}")
    if min_weight is not None and not min_weight >= 0:
        raise ValueError(f"min_weight must be a number >= 0 or None, got {min_weight!r}")
