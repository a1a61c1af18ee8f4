"""Token-aware chunking of documents into overlapping passages for retrieval."""

from __future__ import annotations

from collections.abc import Iterator
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
        offsets = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)[
            "offset_mapping"
        ]
        if len(offsets) <= self.size:
            return [Chunk(text, 0, 0, len(text))]
        return list(self._cut(text, offsets))

    def _cut(self, text: str, offsets: list[tuple[int, int]]) -> Iterator[Chunk]:
        size = self.size or len(offsets)
        starts = [start for start, _ in offsets]
        # a token starts a word when text (whitespace) separates it from the previous token
        word_start = [True] + [starts[i] > offsets[i - 1][1] for i in range(1, len(offsets))]
        first, index = 0, 0
        while first < len(offsets):
            last = min(first + size, len(offsets))
            if last < len(offsets):
                cut = last
                while cut > first + 1 and not word_start[cut]:
                    cut -= 1
                last = cut if cut > first + 1 else last
            yield Chunk(
                text[offsets[first][0] : offsets[last - 1][1]],
                index,
                offsets[first][0],
                offsets[last - 1][1],
            )
            if last == len(offsets):
                return
            index += 1
            following = max(last - self.overlap, first + 1)
            while following > first + 1 and not word_start[following]:
                following -= 1
            first = following
