"""Token-aware chunking of documents into overlapping passages for retrieval."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

__all__ = ["Chunk", "Chunker"]


@dataclass(frozen=True)
class Chunk:
    """A passage of a document: its text and where it lies (`index`-th, characters start:end)."""

    text: str
    index: int
    start: int
    end: int


class Chunker:
    """Cuts text into passages of at most `size` tokens that overlap by `overlap` tokens.

    Cuts fall between words, never inside one, and chunk texts are exact slices of the input.
    A text of at most `size` tokens is one chunk; `size=None` never cuts.

    Args:
        tokenizer: counts the tokens (the SPLADE model's own, so a chunk fits its window).
        size: tokens per chunk.
        overlap: tokens that consecutive chunks share, for context across the cut.
    """

    def __init__(
        self, tokenizer: PreTrainedTokenizerBase, size: int | None = 256, overlap: int = 32
    ) -> None:
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 8):
            raise ValueError(f"chunk size must be an integer >= 8 tokens or None, got {size!r}")
        if size is not None and not (isinstance(overlap, int) and 0 <= overlap <= size // 2):
            raise ValueError(
                f"chunk overlap must be an integer from 0 to {size // 2} (half of size={size}), "
                f"got {overlap!r}"
            )
        self.tokenizer = tokenizer
        self.size = size
        self.overlap = overlap if size is not None else 0

    def split(self, text: str) -> list[Chunk]:
        """The chunks of `text`, in order; whitespace-only text has none."""
        if not text.strip():
            return []
        if self.size is None:
            return [Chunk(text, 0, 0, len(text))]
        # the whole text at once, longer than the model's limit on purpose: no warning for it
        encoded = self.tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )
        offsets = encoded["offset_mapping"]
        if len(offsets) <= self.size:
            return [Chunk(text, 0, 0, len(text))]
        return list(self._cut(text, offsets))

    def _cut(self, text: str, offsets: list[tuple[int, int]]) -> Iterator[Chunk]:
        size = self.size or len(offsets)
        # a token starts a word when text (whitespace) separates it from the previous token
        bounds = (
            [0]
            + [i for i in range(1, len(offsets)) if offsets[i][0] > offsets[i - 1][1]]
            + [len(offsets)]
        )

        def end_from(start: int) -> int:
            """The last word boundary within `size` tokens of `start` (inside a longer word)."""
            limit = min(start + size, len(offsets))
            best = bounds[bisect_right(bounds, limit) - 1]
            return best if best > start else limit

        first, index = 0, 0
        while True:
            last = end_from(first)
            yield Chunk(
                text[offsets[first][0] : offsets[last - 1][1]],
                index,
                offsets[first][0],
                offsets[last - 1][1],
            )
            if last == len(offsets):
                return
            first, index = self._next_start(bounds, first, last, end_from), index + 1

    def _next_start(
        self, bounds: list[int], first: int, last: int, end_from: Callable[[int], int]
    ) -> int:
        """Where the chunk after `[first, last)` starts.

        A word boundary about `overlap` tokens back (at or before that point when possible)
        whose own chunk reaches past `last`; `last` itself when there is none.
        """
        target = last - self.overlap
        candidates = [
            b
            for b in bounds[bisect_right(bounds, first) : bisect_left(bounds, last)]
            if end_from(b) > last
        ]
        before = [b for b in candidates if b <= target]
        if before:
            return before[-1]
        return candidates[0] if candidates else last
