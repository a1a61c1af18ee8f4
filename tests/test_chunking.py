from __future__ import annotations

import re
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import pytest

from splade_rag.chunking import Chunk, Chunker
from splade_rag.encoder import SpladeEncoder

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

# prose with words split into word pieces and a URL of 23 tokens, one word to the chunker
PROSE = (
    "Sparse retrieval models learn term weights and expansions; unbelievably, they match "
    "dense retrievers on many benchmarks while staying interpretable and cheap to serve from "
    "an inverted index. The reference code lives at "
    "https://github.com/naver/splade/tree/main/conf and the checkpoints are on the hub. "
    "SPLADE expands queries and documents into weighted "
    "vocabulary terms, so exact matches and learned expansions both count toward the final "
    "relevance score.\n\nRetrieval quality depends on vocabulary expansion and the "
    "antidisestablishment models learn expansions from data."
)
# every two neighbouring words fit in `size`, so chunks can overlap and still cut between words
SETTINGS = [(24, 0), (24, 6), (32, 4), (32, 16), (48, 8), (64, 32)]


@pytest.fixture(scope="module")
def tokenizer(splade_tiny: SpladeEncoder) -> PreTrainedTokenizerBase:
    return splade_tiny.tokenizer


def _tokens(tokenizer: PreTrainedTokenizerBase, text: str) -> int:
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def test_short_text_is_one_chunk_equal_to_the_text(tokenizer: PreTrainedTokenizerBase) -> None:
    text = "  Paris is the capital of France.\n"

    chunks = Chunker(tokenizer, size=16, overlap=4).split(text)

    assert chunks == [Chunk(text, 0, 0, len(text))]


@pytest.mark.parametrize(("size", "overlap"), SETTINGS)
def test_long_text_chunks_are_bounded_overlapping_exact_slices(
    tokenizer: PreTrainedTokenizerBase, size: int, overlap: int
) -> None:
    chunks = Chunker(tokenizer, size=size, overlap=overlap).split(PROSE)

    assert len(chunks) > 1
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.text == PROSE[chunk.start : chunk.end]
        assert _tokens(tokenizer, chunk.text) <= size
    for previous, chunk in pairwise(chunks):
        assert previous.start < chunk.start
        if overlap:
            assert chunk.start < previous.end
    for word in re.finditer(r"\S+", PROSE):
        assert any(c.start <= word.start() and word.end() <= c.end for c in chunks), word


@pytest.mark.parametrize(("size", "overlap"), SETTINGS)
def test_cuts_fall_between_words(
    tokenizer: PreTrainedTokenizerBase, size: int, overlap: int
) -> None:
    chunks = Chunker(tokenizer, size=size, overlap=overlap).split(PROSE)

    starts_inside = [c.text for c in chunks if c.start > 0 and not PROSE[c.start - 1].isspace()]
    ends_inside = [c.text for c in chunks if c.end < len(PROSE) and not PROSE[c.end].isspace()]
    assert starts_inside == []
    assert ends_inside == []


@pytest.mark.parametrize(("size", "overlap"), SETTINGS)
def test_every_chunk_reaches_further_than_the_one_before(
    tokenizer: PreTrainedTokenizerBase, size: int, overlap: int
) -> None:
    chunks = Chunker(tokenizer, size=size, overlap=overlap).split(PROSE)

    # a chunk that ends where the previous one ends only repeats text already indexed
    repeats = [c.text for previous, c in pairwise(chunks) if c.end <= previous.end]
    assert repeats == []


def test_cuts_never_split_a_word_into_its_pieces(tokenizer: PreTrainedTokenizerBase) -> None:
    text = (
        "Retrieval quality depends on vocabulary expansion and the antidisestablishment "
        "models learn expansions from data"
    )
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    pieces = tokenizer.convert_ids_to_tokens(encoded["input_ids"])
    inside = {
        start
        for (start, _), piece in zip(encoded["offset_mapping"], pieces, strict=True)
        if piece.startswith("##")
    }

    chunks = Chunker(tokenizer, size=8, overlap=3).split(text)

    # "antidisestablishment" is 6 tokens (anti ##dis ##est ##ab ##lish ##ment): it fits in 8
    assert [c.text for c in chunks if c.start in inside or c.end in inside] == []


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n"])
def test_whitespace_only_text_has_no_chunks(tokenizer: PreTrainedTokenizerBase, text: str) -> None:
    assert Chunker(tokenizer, size=8, overlap=2).split(text) == []
    assert Chunker(tokenizer, size=None).split(text) == []


def test_size_none_never_cuts(tokenizer: PreTrainedTokenizerBase) -> None:
    chunks = Chunker(tokenizer, size=None).split(PROSE * 20)

    assert chunks == [Chunk(PROSE * 20, 0, 0, len(PROSE) * 20)]


@pytest.mark.parametrize("size", [7, 0, -16, 16.0, True, "16"])
def test_invalid_size_is_rejected(tokenizer: PreTrainedTokenizerBase, size: Any) -> None:
    with pytest.raises(ValueError, match=r"chunk size must be an integer >= 8 tokens or None"):
        Chunker(tokenizer, size=size)


@pytest.mark.parametrize("overlap", [-1, 9, 4.0])
def test_invalid_overlap_is_rejected(tokenizer: PreTrainedTokenizerBase, overlap: Any) -> None:
    with pytest.raises(ValueError, match=r"chunk overlap must be an integer from 0 to 8"):
        Chunker(tokenizer, size=16, overlap=overlap)
