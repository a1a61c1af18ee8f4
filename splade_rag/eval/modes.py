"""What an evaluation runs: single arms, hybrids of any arms with any fusion, the reference.

A mode is named as on the command line: `sparse`, `bm25`, `dense`, `bm25s` (the bm25s
library, the reference row), `hybrid` (the store's default hybrid), or arms joined by `+`
with an optional fusion after a colon (default the store's, DBSF): `bm25+dense`,
`sparse+bm25+dense:rrf`, `sparse+dense:convex`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from splade_rag.fusion import DEFAULT_FUSION, FUSIONS
from splade_rag.retrieval import ARMS

__all__ = ["REFERENCE", "EvalMode", "default_modes", "parse_mode"]

REFERENCE = "bm25s"
SINGLE = ("sparse", "bm25", "dense")


@dataclass(frozen=True)
class EvalMode:
    """One row of an evaluation: arms searched through the store, or the bm25s reference.

    `arms` is empty for the reference. `options` are further `SpladeStore.search` options
    (`fusion`, `rrf_k`, `weights`, `alpha`, `prefetch`), as tuning sets them.
    """

    name: str
    arms: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def is_reference(self) -> bool:
        """Whether this is the bm25s row, which runs outside the store."""
        return not self.arms

    @property
    def is_single(self) -> bool:
        """Whether this searches one arm alone."""
        return len(self.arms) == 1

    def search_options(self) -> dict[str, Any]:
        """The `SpladeStore.search` options of this mode."""
        if self.is_single:
            return {"mode": self.arms[0]}
        return {"mode": "hybrid", "arms": list(self.arms), **self.options}


def parse_mode(text: str, default_arms: tuple[str, ...] = ARMS) -> EvalMode:
    """The `EvalMode` of a name such as `bm25+dense:convex` (see the module docstring).

    Raises:
        ValueError: an unknown arm or fusion, or an arm named twice.
    """
    name = text.strip()
    if name == REFERENCE:
        return EvalMode(name)
    if name == "hybrid":
        return EvalMode(name, tuple(default_arms), {})
    arms_text, _, fusion = name.partition(":")
    arms = tuple(arm.strip() for arm in arms_text.split("+"))
    unknown = [arm for arm in arms if arm not in ARMS]
    if unknown or not arms:
        raise ValueError(
            f"mode {text!r}: unknown arm {unknown[0] if unknown else '(none)'!r}; a mode is "
            f"{', '.join(SINGLE)}, {REFERENCE}, hybrid, or arms joined by + with an optional "
            f":fusion ({', '.join(FUSIONS)}), e.g. bm25+dense:rrf"
        )
    if len(set(arms)) != len(arms):
        raise ValueError(f"mode {text!r} names an arm twice")
    if fusion and fusion not in FUSIONS:
        raise ValueError(f"mode {text!r}: unknown fusion {fusion!r}; use {', '.join(FUSIONS)}")
    if len(arms) == 1:
        if fusion:
            raise ValueError(f"mode {text!r}: a single arm takes no fusion")
        return EvalMode(arms[0], arms)
    return EvalMode(name, arms, {"fusion": fusion or DEFAULT_FUSION})


def default_modes(arms: tuple[str, ...] = ARMS) -> list[EvalMode]:
    """Every single arm, the reference, the default hybrid, and every hybrid of the arms."""
    modes = [EvalMode(arm, (arm,)) for arm in arms]
    modes.append(EvalMode(REFERENCE))
    modes.append(parse_mode("hybrid", arms))
    for size in range(2, len(arms) + 1):
        for subset in combinations(arms, size):
            modes.extend(parse_mode(f"{'+'.join(subset)}:{fusion}") for fusion in FUSIONS)
    return modes
