"""Checks that keep a small model honest: support, citations, and an extractive fallback."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "NOT_IN_SOURCES",
    "Support",
    "attribute",
    "content_words",
    "extractive_answer",
    "is_follow_up",
    "relevant",
    "support",
]

NOT_IN_SOURCES = "Not in the sources."

# English function words and question words that say nothing about the topic
_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    yourself yourselves tell know explain describe please many much one two use used using
    make makes made like""".split()  # noqa: SIM905
)
# words that point back at an earlier turn
_FOLLOW_UP_WORDS = frozenset(
    "it its they them their this that these those there he she his her him".split()  # noqa: SIM905
)
_WORD = re.compile(r"[a-z0-9]+")
_CITATION = re.compile(r"\[(\d+)\]")
# the share of an answer's content words that must appear in the passages
SUPPORT_THRESHOLD = 0.75
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _stem(word: str) -> str:
    """A crude suffix stripper: enough to match "cities" with "city", "trained" with "train"."""
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + replacement
    return word


def content_words(text: str) -> set[str]:
    """The stemmed words of `text` that carry meaning (no stop words, at least 3 letters)."""
    words = _WORD.findall(text.lower())
    return {_stem(w) for w in words if len(w) >= 3 and w not in _STOPWORDS}


def is_follow_up(question: str) -> bool:
    """Whether a question leans on the conversation (pronouns, "and ...", "what about")."""
    lowered = question.lower().strip()
    words = _WORD.findall(lowered)
    if lowered.startswith(("and ", "what about", "how about", "also", "why")) and words:
        return True
    return bool(_FOLLOW_UP_WORDS & set(words)) or len(content_words(question)) <= 1


def relevant(question: str, passages: Sequence[str]) -> bool:
    """Whether any passage shares a content word with the question."""
    wanted = content_words(question)
    return any(wanted & content_words(passage) for passage in passages)


@dataclass(frozen=True)
class Support:
    """How well an answer is backed by the passages."""

    share: float
    bad_citations: list[int]
    citations: list[int]

    @property
    def ok(self) -> bool:
        """Supported: cites only passages that exist and most of its words are in them."""
        return not self.bad_citations and self.share >= SUPPORT_THRESHOLD


def support(answer: str, passages: Sequence[str]) -> Support:
    """The share of the answer's content words found in the passages, and its citations."""
    cited = [int(n) for n in _CITATION.findall(answer)]
    bad = sorted({n for n in cited if not 1 <= n <= len(passages)})
    words = content_words(_CITATION.sub(" ", answer))
    if not words:
        return Support(0.0, bad, cited)
    known = set().union(*(content_words(p) for p in passages)) if passages else set()
    return Support(len(words & known) / len(words), bad, cited)


def extractive_answer(question: str, passages: Sequence[str], sentences: int = 2) -> str:
    """The passages' sentences that share most words with the question, each cited `[n]`.

    Returns `NOT_IN_SOURCES` when no sentence shares a content word with the question.
    """
    wanted = content_words(question)
    scored = []
    for number, passage in enumerate(passages, 1):
        for position, sentence in enumerate(_SENTENCE.split(passage.strip())):
            overlap = len(wanted & content_words(sentence))
            if overlap:
                scored.append((-overlap, number, position, sentence.strip()))
    if not scored:
        return NOT_IN_SOURCES
    best = sorted(scored)[:sentences]
    best.sort(key=lambda item: (item[1], item[2]))  # in reading order
    return " ".join(f"{sentence} [{number}]" for _, number, _, sentence in best)


def attribute(answer: str, passages: Sequence[str]) -> int | None:
    """The number of the passage sharing most content words with an uncited answer."""
    words = content_words(answer)
    overlaps = [len(words & content_words(passage)) for passage in passages]
    if not overlaps or max(overlaps) == 0:
        return None
    return overlaps.index(max(overlaps)) + 1
