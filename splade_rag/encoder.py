"""`SpladeEncoder`: texts to SPLADE sparse vectors, queries and documents apart."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args, overload

from splade_rag.inference_free import TokenWeights
from splade_rag.models import MaskedLM, default_model, load_masked_lm, saved_settings
from splade_rag.pooling import Pooling, check_pooling
from splade_rag.runner import MaskedLMRunner, RunSettings, resolve_device, resolve_dtype
from splade_rag.vectors import SparseVector, _check_pruning

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

__all__ = ["QueryMode", "SpladeEncoder"]

logger = logging.getLogger(__name__)

QueryMode = Literal["model", "inference-free"]
QUERY_MODES: tuple[str, ...] = get_args(QueryMode)
DEFAULT_STRIDE = 128


class SpladeEncoder:
    """Encode queries and documents into SPLADE sparse vectors over the model's vocabulary.

    A term's weight is `max_i log(1 + ReLU(w_ij))` over the text's tokens `i` (or the sum, with
    `pooling="sum"`), from the masked-LM logits `w_ij` (SPLADE, https://arxiv.org/abs/2107.05720).

    Args:
        model: hub id or local folder of the document (and default query) model. Defaults to
            `$SPLADE_RAG_MODEL`, else `naver/splade-cocondenser-ensembledistil`.
        query_model: a separate query model sharing the vocabulary (e.g. the efficient-splade
            query/document pairs).
        query_mode: `"model"` runs a model on queries; `"inference-free"` weighs the query's
            own tokens, 1.0 each or by `query_token_weights`, as doc-only sparse models do.
        query_token_weights: `{token: weight}` or a JSON file of it, for inference-free queries;
            tokens it does not list weigh 0.
        pooling: `"max"` (SPLADE v2) or `"sum"` (the original paper). Defaults to the
            pooling a checkpoint trained by splade-rag was saved with, else `"max"`.
        max_length: tokens per model window; defaults to the model's limit (512 for BERT).
        stride: tokens shared by consecutive windows of a long text.
        split_long: encode texts longer than `max_length` as overlapping windows pooled
            together (default). `False` truncates them: faster, but the end of a long text is
            lost. Only long texts pay for windows: one model pass per window.
        batch_size: windows per model call.
        device: `"cpu"`, `"cuda"`, `"cuda:N"` or `"mps"`; defaults to the best available.
        dtype: model weights' dtype, e.g. `"bfloat16"` on GPUs; defaults to float32.
        max_logits_mb: at most this many MB of `(tokens, vocab)` logits are held at once.
        trust_remote_code: let transformers run code shipped with the checkpoint.
        revision: hub revision (branch, tag or commit) to load.

    Example:
        >>> encoder = SpladeEncoder("path/to/splade-checkpoint")  # doctest: +SKIP
        >>> encoder.encode_queries("what is the capital of france").decode()[:2]  # doctest: +SKIP
        [('capital', 2.79), ('france', 2.36)]
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        query_model: str | Path | None = None,
        query_mode: QueryMode = "model",
        query_token_weights: str | Path | Mapping[str, float] | None = None,
        pooling: Pooling | None = None,
        max_length: int | None = None,
        stride: int = DEFAULT_STRIDE,
        split_long: bool = True,
        batch_size: int = 32,
        device: str | torch.device | None = None,
        dtype: str | torch.dtype | None = None,
        max_logits_mb: int = 256,
        trust_remote_code: bool = False,
        revision: str | None = None,
    ) -> None:
        self.model_name = str(model) if model is not None else default_model()
        self.pooling = check_pooling(
            pooling or saved_settings(self.model_name).get("pooling", "max")
        )
        if query_mode not in QUERY_MODES:
            raise ValueError(
                f"query_mode must be one of {', '.join(QUERY_MODES)}; got {query_mode!r}"
            )
        if query_mode == "inference-free" and query_model is not None:
            raise ValueError(
                "query_model and query_mode='inference-free' exclude each other: inference-free "
                "queries use no model. Drop one of them."
            )
        if query_token_weights is not None and query_mode != "inference-free":
            raise ValueError("query_token_weights needs query_mode='inference-free'")
        _check_positive("batch_size", batch_size)
        _check_positive("max_logits_mb", max_logits_mb)

        self.device = resolve_device(device)
        load = partial(
            load_masked_lm,
            device=self.device,
            dtype=resolve_dtype(dtype),
            trust_remote_code=trust_remote_code,
            revision=revision,
        )
        document_lm = load(self.model_name)
        query_lm = load(query_model) if query_model is not None else None
        if query_lm is not None and query_lm.vocab_size != document_lm.vocab_size:
            raise ValueError(
                f"query_model {str(query_model)!r} has a vocabulary of {query_lm.vocab_size} "
                f"terms but model {self.model_name!r} has {document_lm.vocab_size}; the two "
                "must share one vocabulary for their vectors to match"
            )

        self.max_length = _check_window(document_lm, max_length, stride)
        self.stride = stride
        self.split_long = split_long
        self.batch_size = batch_size
        self.vocab: tuple[str, ...] = _vocabulary(document_lm)
        settings = RunSettings(
            self.pooling, self.max_length, stride, split_long, batch_size, max_logits_mb
        )
        self._documents = MaskedLMRunner(document_lm, settings, self.vocab)
        self._queries: MaskedLMRunner | TokenWeights
        if query_mode == "inference-free":
            self._queries = TokenWeights(document_lm.tokenizer, self.vocab, query_token_weights)
        elif query_lm is not None:
            self._queries = MaskedLMRunner(query_lm, settings, self.vocab)
        else:
            self._queries = self._documents
        self.query_mode: QueryMode = query_mode

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        """The document model's tokenizer (chunking counts tokens with it)."""
        return self._documents.lm.tokenizer

    @property
    def vocab_size(self) -> int:
        """The dimension of the sparse vectors."""
        return len(self.vocab)

    @overload
    def encode_queries(  # type: ignore[overload-overlap]
        self,
        texts: str,
        *,
        top_k: int | None = ...,
        min_weight: float | None = ...,
        show_progress: bool | None = ...,
    ) -> SparseVector: ...

    @overload
    def encode_queries(
        self,
        texts: Sequence[str],
        *,
        top_k: int | None = ...,
        min_weight: float | None = ...,
        show_progress: bool | None = ...,
    ) -> list[SparseVector]: ...

    def encode_queries(
        self,
        texts: str | Sequence[str],
        *,
        top_k: int | None = None,
        min_weight: float | None = None,
        show_progress: bool | None = None,
    ) -> SparseVector | list[SparseVector]:
        """Encode one query (a `str`) or a list of them, pruned to `top_k` / `min_weight`.

        Empty or whitespace-only text gives the empty vector. `show_progress` defaults to a
        progress bar for long inputs when logging is at INFO or below.
        """
        return self._encode(self._queries, texts, top_k, min_weight, show_progress)

    @overload
    def encode_documents(  # type: ignore[overload-overlap]
        self,
        texts: str,
        *,
        top_k: int | None = ...,
        min_weight: float | None = ...,
        show_progress: bool | None = ...,
    ) -> SparseVector: ...

    @overload
    def encode_documents(
        self,
        texts: Sequence[str],
        *,
        top_k: int | None = ...,
        min_weight: float | None = ...,
        show_progress: bool | None = ...,
    ) -> list[SparseVector]: ...

    def encode_documents(
        self,
        texts: str | Sequence[str],
        *,
        top_k: int | None = None,
        min_weight: float | None = None,
        show_progress: bool | None = None,
    ) -> SparseVector | list[SparseVector]:
        """Encode one document (a `str`) or a list of them, in input order; see encode_queries."""
        return self._encode(self._documents, texts, top_k, min_weight, show_progress)

    def _encode(
        self,
        runner: MaskedLMRunner | TokenWeights,
        texts: str | Sequence[str],
        top_k: int | None,
        min_weight: float | None,
        show_progress: bool | None,
    ) -> SparseVector | list[SparseVector]:
        _check_pruning(top_k, min_weight)
        single = isinstance(texts, str)
        batch = [texts] if isinstance(texts, str) else _check_texts(texts)

        vectors = [SparseVector.empty(self.vocab)] * len(batch)
        wanted = [i for i, text in enumerate(batch) if text.strip()]
        encoded = runner.encode([batch[i] for i in wanted], show_progress=show_progress)
        for position, vector in zip(wanted, encoded, strict=True):
            vectors[position] = vector.prune(top_k, min_weight)
        return vectors[0] if single else vectors


def _check_texts(texts: Sequence[str]) -> list[str]:
    """Return `texts` as a list, raising `TypeError` at the first item that is not a `str`."""
    if not isinstance(texts, Sequence):
        raise TypeError(f"texts must be a str or a sequence of str, got {type(texts).__name__}")
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(
                f"texts[{position}] is a {type(text).__name__}, not a str; convert or drop it"
            )
    return list(texts)


def _check_positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def _check_window(lm: MaskedLM, max_length: int | None, stride: int) -> int:
    """Validate `max_length` and `stride` against the model; return the window length."""
    limit = int(getattr(lm.model.config, "max_position_embeddings", 512))
    tokenizer_limit = lm.tokenizer.model_max_length
    if tokenizer_limit and tokenizer_limit < limit:
        limit = int(tokenizer_limit)
    specials = lm.tokenizer.num_special_tokens_to_add()
    if max_length is None:
        max_length = limit
    if isinstance(max_length, bool) or not isinstance(max_length, int):
        raise ValueError(f"max_length must be an integer, got {max_length!r}")
    if not specials < max_length <= limit:
        raise ValueError(
            f"max_length must be between {specials + 1} and {limit} (the model's limit) "
            f"tokens, got {max_length}"
        )
    content = max_length - specials
    if isinstance(stride, bool) or not isinstance(stride, int) or not 0 <= stride < content:
        raise ValueError(
            f"stride must be an integer from 0 to {content - 1} (max_length={max_length} "
            f"less {specials} special tokens, minus one), got {stride!r}"
        )
    return max_length


def _vocabulary(lm: MaskedLM) -> tuple[str, ...]:
    """Terms by id over the model's output vocabulary."""
    tokens = lm.tokenizer.convert_ids_to_tokens(list(range(lm.vocab_size)))
    return tuple(token if token is not None else f"[id {i}]" for i, token in enumerate(tokens))
