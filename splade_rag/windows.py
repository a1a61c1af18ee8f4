"""Tokenising texts into model-sized windows and grouping them into length-sorted batches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

__all__ = ["Batch", "Windows", "length_sorted_batches", "tokenize_windows"]


@dataclass(frozen=True)
class Windows:
    """Token windows of a list of texts.

    `owners[w]` is the position of the text window `w` came from. A text within the model's
    `max_length` is one window; a longer one is several that overlap by `stride` tokens:
    positions `repeated[w, 0]` up to `repeated[w, 1]` of window `w` hold tokens that the
    previous window of the same text also holds (an empty range for a text's first window).
    """

    ids: list[list[int]]
    owners: npt.NDArray[np.int64]
    repeated: npt.NDArray[np.int64]


@dataclass(frozen=True)
class Batch:
    """Padded model inputs for some windows, plus the mask of tokens to pool."""

    windows: npt.NDArray[np.int64]
    input_ids: npt.NDArray[np.int64]
    attention_mask: npt.NDArray[np.int64]
    pool_mask: npt.NDArray[np.int64]


def tokenize_windows(
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    *,
    max_length: int,
    stride: int,
    split_long: bool,
) -> Windows:
    """Tokenise `texts` into windows of at most `max_length` tokens, special tokens included.

    With `split_long`, a text longer than `max_length` becomes overlapping windows (each with
    its own special tokens) instead of being truncated.
    """
    encoded = tokenizer(
        list(texts),
        truncation=True,
        max_length=max_length,
        stride=stride if split_long else 0,
        return_overflowing_tokens=split_long,
        return_attention_mask=False,
        return_token_type_ids=False,
        return_special_tokens_mask=split_long,
    )
    ids: list[list[int]] = encoded["input_ids"]
    if split_long:
        owners = np.asarray(encoded["overflow_to_sample_mapping"], dtype=np.int64)
    else:
        owners = np.arange(len(ids), dtype=np.int64)

    # a window continuing its text's previous one repeats `stride` tokens after its specials
    repeated = np.zeros((len(ids), 2), dtype=np.int64)
    for w in np.flatnonzero(owners[1:] == owners[:-1]) + 1:
        first_content = encoded["special_tokens_mask"][w].index(0)
        repeated[w] = (first_content, first_content + stride)
    return Windows(ids=ids, owners=owners, repeated=repeated)


def length_sorted_batches(
    windows: Windows, batch_size: int, pad_id: int, *, skip_repeated: bool
) -> Iterator[Batch]:
    """Yield padded batches of windows of similar length, longest first.

    Sorting by length keeps padding small (dynamic padding), and longest-first puts the
    memory peak at the start. With `skip_repeated`, the tokens a window shares with the
    previous window of its text are left out of the pool mask, so sum pooling counts each
    token of a long text once.
    """
    lengths = np.fromiter((len(w) for w in windows.ids), dtype=np.int64, count=len(windows.ids))
    order = np.argsort(-lengths, kind="stable")
    for start in range(0, order.size, batch_size):
        chosen = order[start : start + batch_size]
        width = int(lengths[chosen].max())
        input_ids = np.full((chosen.size, width), pad_id, dtype=np.int64)
        attention_mask = np.zeros((chosen.size, width), dtype=np.int64)
        for row, window in enumerate(chosen):
            input_ids[row, : lengths[window]] = windows.ids[window]
            attention_mask[row, : lengths[window]] = 1

        pool_mask = attention_mask.copy()
        if skip_repeated:
            for row, window in enumerate(chosen):
                begin, end = windows.repeated[window]
                pool_mask[row, begin:end] = 0
        yield Batch(chosen, input_ids, attention_mask, pool_mask)
