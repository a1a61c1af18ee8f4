"""Dense sentence embeddings for the dense arm of hybrid search."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from splade_rag.errors import ModelLoadError
from splade_rag.models import DEFAULT_DENSE_MODEL, DENSE_MODEL_ENV, unreachable_message
from splade_rag.runner import resolve_device, resolve_dtype
from splade_rag.windows import length_sorted_batches, tokenize_windows

if TYPE_CHECKING:
    import torch

__all__ = [
    "DEFAULT_DENSE_MODEL",
    "DENSE_MODEL_ENV",
    "DenseEmbedder",
    "DenseEncoder",
    "QueryDocumentEmbedder",
    "default_dense_model",
    "embed",
]

logger = logging.getLogger(__name__)


@runtime_checkable
class QueryDocumentEmbedder(Protocol):
    """An embedder that encodes queries and documents differently (LangChain's `Embeddings`)."""

    def embed_documents(self, texts: list[str]) -> Any:
        """One vector per document."""
        ...

    def embed_query(self, text: str) -> Any:
        """The query's vector."""
        ...


# a callable mapping a list of texts to one vector per text, or a query/document embedder
DenseEmbedder = Callable[[list[str]], npt.ArrayLike] | QueryDocumentEmbedder


def default_dense_model() -> str:
    """The dense model used when none is given: `$SPLADE_RAG_DENSE_MODEL`, else MiniLM."""
    return os.environ.get(DENSE_MODEL_ENV) or DEFAULT_DENSE_MODEL


class DenseEncoder:
    """Mean-pooled, L2-normalised sentence embeddings from a transformers encoder.

    Args:
        model: hub id or local folder; defaults to `$SPLADE_RAG_DENSE_MODEL`, else
            `sentence-transformers/all-MiniLM-L6-v2`.
        batch_size: texts per model call (sorted by length, padded per batch).
        max_length: tokens kept per text; defaults to the model's sentence-transformers
            setting (256 for MiniLM) or its position limit. Longer texts are truncated.
        device: `"cpu"`, `"cuda"` or `"mps"`; defaults to the best available.
        dtype: model weights' dtype; defaults to float32.
        trust_remote_code: let transformers run code shipped with the checkpoint.

    Example:
        >>> encoder = DenseEncoder("path/to/all-MiniLM-L6-v2")  # doctest: +SKIP
        >>> encoder(["a sentence"]).shape  # doctest: +SKIP
        (1, 384)
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        batch_size: int = 32,
        max_length: int | None = None,
        device: str | torch.device | None = None,
        dtype: str | torch.dtype | None = None,
        trust_remote_code: bool = False,
    ) -> None:
        from transformers import AutoModel, AutoTokenizer

        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        self.model_name = str(model) if model is not None else default_dense_model()
        self.batch_size = batch_size
        options: dict[str, Any] = {"trust_remote_code": trust_remote_code}
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.model_name, **options)
            self.model = AutoModel.from_pretrained(
                self.model_name, dtype=resolve_dtype(dtype), **options
            )
        except OSError as error:
            message = unreachable_message(self.model_name, error, DENSE_MODEL_ENV)
            raise ModelLoadError(message) from error
        self.model.to(resolve_device(device)).eval()

        limit = int(getattr(self.model.config, "max_position_embeddings", 512))
        self.max_length = max_length or min(limit, _configured_length(self.model_name) or limit)
        if not 2 < self.max_length <= limit:
            raise ValueError(f"max_length must be between 3 and {limit}, got {self.max_length}")

    @property
    def dimension(self) -> int:
        """Size of the embeddings, read from the model's config (no model call)."""
        return int(self.model.config.hidden_size)

    def __call__(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Embed texts (queries and documents alike), one normalised row per text."""
        return self.encode(texts)

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """`(len(texts), dimension)` float32 embeddings in input order; empty text is zeros."""
        import torch

        for position, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{position}] is a {type(text).__name__}, not a str")
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        wanted = [i for i, text in enumerate(texts) if text.strip()]
        if not wanted:
            return out

        windows = tokenize_windows(
            self.tokenizer,
            [texts[i] for i in wanted],
            max_length=self.max_length,
            stride=0,
            split_long=False,
        )
        pad = int(self.tokenizer.pad_token_id or 0)
        device = self.model.device
        with torch.inference_mode():
            for batch in length_sorted_batches(windows, self.batch_size, pad, skip_repeated=False):
                mask = torch.from_numpy(batch.attention_mask).to(device)
                hidden = self.model(
                    input_ids=torch.from_numpy(batch.input_ids).to(device), attention_mask=mask
                )[0]
                # mean over the kept tokens, then unit length: cosine becomes a dot product
                weights = mask.unsqueeze(-1).to(hidden.dtype)
                mean = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)
                unit = torch.nn.functional.normalize(mean.float(), dim=-1)
                out[[wanted[w] for w in batch.windows]] = unit.cpu().numpy()
        return out


def embed(
    embedder: DenseEmbedder, texts: list[str], *, query: bool = False
) -> npt.NDArray[np.float32]:
    """Call any dense embedder and check it returned one finite vector per text.

    A `QueryDocumentEmbedder` gets `embed_query` for each text when `query` is set, else
    `embed_documents`; a plain callable gets the texts either way.
    """
    raw: Any
    if isinstance(embedder, QueryDocumentEmbedder):
        if query:
            raw = [embedder.embed_query(text) for text in texts]
        else:
            raw = embedder.embed_documents(texts)
    else:
        raw = embedder(texts)
    vectors = np.asarray(raw, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(texts):
        raise ValueError(
            f"the dense embedder returned shape {vectors.shape} for {len(texts)} texts; it must "
            "return one vector per text, shape (texts, dimension)"
        )
    if not np.isfinite(vectors).all():
        raise ValueError("the dense embedder returned NaN or infinite values")
    return vectors


def _configured_length(model: str) -> int | None:
    """`max_seq_length` from a local sentence-transformers folder, if it has one."""
    config = Path(model) / "sentence_bert_config.json"
    if not config.is_file():
        return None
    length = json.loads(config.read_text(encoding="utf-8")).get("max_seq_length")
    return int(length) if isinstance(length, int) else None
