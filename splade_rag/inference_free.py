"""Inference-free queries: a query's own tokens, weighed by a fixed table instead of a model.

Doc-only learned sparse models (e.g. OpenSearch's `opensearch-neural-sparse-encoding-doc-*`)
encode documents with a masked-LM but queries with the tokenizer alone: each distinct query
token weighs 1.0, or its entry in a per-token table such as the `idf.json` they ship.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from splade_rag.vectors import SparseVector

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

__all__ = ["TokenWeights", "load_token_weights"]


def load_token_weights(source: str | Path | Mapping[str, float]) -> dict[str, float]:
    """Read a `{token: weight}` table from a mapping or a JSON file, checking every entry."""
    if isinstance(source, Mapping):
        table, origin = dict(source), "query_token_weights"
    else:
        path = Path(source)
        origin = str(path)
        try:
            table = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise FileNotFoundError(
                f"query token weight file {origin!r} does not exist"
            ) from error
        except json.JSONDecodeError as error:
            raise ValueError(
                f"query token weight file {origin!r} is not valid JSON ({error}); it must hold "
                'one object such as {"capital": 3.1, "france": 4.2}'
            ) from error
        if not isinstance(table, dict):
            raise ValueError(f"{origin!r} must hold a JSON object of token -> weight")
    for token, weight in table.items():
        number = isinstance(weight, int | float) and not isinstance(weight, bool)
        if not isinstance(token, str) or not number or not math.isfinite(weight) or weight < 0:
            raise ValueError(
                f"{origin}: the weight of token {token!r} must be a finite number >= 0, "
                f"got {weight!r}"
            )
    return table


class TokenWeights:
    """Encodes queries without a model: each distinct token at its table weight (or 1.0)."""

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        vocab: Sequence[str],
        weights: str | Path | Mapping[str, float] | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.vocab = vocab
        if weights is None:
            self.table = np.ones(len(vocab), dtype=np.float32)
        else:
            # tokens the table does not list weigh 0, as in the doc-only models' own tables
            self.table = np.zeros(len(vocab), dtype=np.float32)
            table = load_token_weights(weights)
            for token, weight in table.items():
                token_id = tokenizer.convert_tokens_to_ids(token)
                if token_id is not None and token_id != tokenizer.unk_token_id:
                    self.table[token_id] = weight
        self._specials = np.asarray(sorted(tokenizer.all_special_ids), dtype=np.int64)

    def encode(
        self, texts: Sequence[str], show_progress: bool | None = None
    ) -> list[SparseVector]:
        """Encode non-empty query texts in input order (`show_progress` is ignored: it is fast)."""
        encoded = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        vectors = []
        for ids in encoded:
            unique = np.setdiff1d(np.asarray(ids, dtype=np.int64), self._specials)
            vectors.append(SparseVector.from_pairs(unique, self.table[unique], self.vocab))
        return vectors
