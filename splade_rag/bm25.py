"""The BM25 arm: Qdrant's own BM25 tokenisation, scored by Qdrant with its IDF modifier.

Texts become sparse vectors of hashed, stemmed terms (`qdrant-edge-py`'s BM25 tokeniser, the
scheme Qdrant's server-side BM25 uses): documents carry BM25 term-frequency weights, queries
the number of times each term occurs in the query (as BM25 sums over query tokens), and the
collection's IDF modifier supplies the inverse document
frequency at query time. The same vectors serve both backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import qdrant_edge as edge

from splade_rag.vectors import SparseVector

__all__ = ["Bm25Encoder", "Bm25Settings"]

_LENGTH_K = 1.0  # the k of the length-free model behind `document_length`


@dataclass(frozen=True)
class Bm25Settings:
    """BM25 parameters; `avg_len` is the expected document length in tokens.

    They are stored with a collection and must stay the same for every document in it.
    """

    k: float = 1.2
    b: float = 0.75
    avg_len: float = 256.0
    language: str = "english"

    @classmethod
    def for_corpus(cls, texts: Sequence[str], *, k: float, b: float) -> Bm25Settings:
        """Settings with `avg_len` measured on `texts`, as BM25 defines it for a corpus."""
        lengths = Bm25Encoder().document_length
        average = float(np.mean([lengths(text) for text in texts])) if texts else cls.avg_len
        return cls(k=k, b=b, avg_len=round(average, 2))

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict."""
        return asdict(self)


class Bm25Encoder:
    """Encodes texts into BM25 sparse vectors with Qdrant's tokeniser (stemming, stop words)."""

    def __init__(self, settings: Bm25Settings | None = None) -> None:
        self.settings = settings or Bm25Settings()
        try:
            config = edge.Bm25Config(
                k=self.settings.k,
                b=self.settings.b,
                avg_len=self.settings.avg_len,
                language=self.settings.language,
            )
            self._model = edge.Bm25(config)
            self._unnormalised = edge.Bm25(
                edge.Bm25Config(k=_LENGTH_K, b=0.0, avg_len=1.0, language=self.settings.language)
            )
        except ValueError as error:
            raise ValueError(
                f"BM25 language {self.settings.language!r} is not supported by Qdrant's "
                f"tokeniser ({error}); use e.g. 'english', 'french' or 'german'"
            ) from error

    def encode_documents(self, texts: Sequence[str]) -> list[SparseVector]:
        """BM25 document vectors (term-frequency weights), in input order."""
        return [_convert(self._model.embed_document(text)) for text in texts]

    def encode_queries(self, texts: Sequence[str]) -> list[SparseVector]:
        """BM25 query vectors (each term weighs its count in the query), in input order."""
        return [self._term_counts(text) for text in texts]

    def document_length(self, text: str) -> int:
        """How many tokens of `text` BM25 counts (after stop words), for choosing `avg_len`."""
        return int(self._term_counts(text).values.sum())

    def _term_counts(self, text: str) -> SparseVector:
        """Each term of `text` (stemmed, stop words dropped) and how often it occurs."""
        vector = self._unnormalised.embed_document(text)
        # with b = 0 a weight is tf (k + 1) / (tf + k), which inverts to the term frequency
        weights = np.asarray(vector.values, dtype=np.float64)
        counts = np.rint(weights * _LENGTH_K / (_LENGTH_K + 1.0 - weights))
        return SparseVector.from_pairs(list(vector.indices), counts.tolist())

    def term_ids(self, text: str) -> dict[int, str]:
        """The hashed term id of each word of `text` that survives stop words: `{id: word}`."""
        terms: dict[int, str] = {}
        for word in text.split():
            for term_id in self._model.embed_query(word).indices:
                terms.setdefault(int(term_id), word.strip(".,;:!?\"'()[]").lower())
        return terms


def _convert(vector: edge.SparseVector) -> SparseVector:
    return SparseVector.from_pairs(list(vector.indices), list(vector.values))
