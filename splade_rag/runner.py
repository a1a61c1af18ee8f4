"""Running a masked-LM over texts in bounded memory and pooling its logits into vectors."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from tqdm.auto import tqdm

from splade_rag.models import MaskedLM
from splade_rag.pooling import Pooling, splade_pool
from splade_rag.vectors import SparseVector
from splade_rag.windows import Batch, length_sorted_batches, tokenize_windows

if TYPE_CHECKING:
    import torch

__all__ = ["MaskedLMRunner", "RunSettings", "resolve_device", "resolve_dtype"]

logger = logging.getLogger(__name__)

DEVICES = ("cpu", "cuda", "mps")
DTYPES = ("float32", "float16", "bfloat16")
# below this many batches a progress bar is more noise than help
PROGRESS_MIN_BATCHES = 4


def resolve_device(device: str | torch.device | None) -> torch.device:
    """The torch device for `device`, or the best available one for None."""
    import torch

    if device is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str) or device.split(":")[0] not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)} (or cuda:N); got {device!r}")
    return torch.device(device)


def resolve_dtype(dtype: str | torch.dtype | None) -> torch.dtype:
    """The torch dtype for a name such as `"bfloat16"`; None means float32."""
    import torch

    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}; got {dtype!r}")
    resolved: torch.dtype = getattr(torch, dtype)
    return resolved


@dataclass(frozen=True)
class RunSettings:
    """How texts are cut into windows, batched and pooled (see `SpladeEncoder`)."""

    pooling: Pooling
    max_length: int
    stride: int
    split_long: bool
    batch_size: int
    max_logits_mb: int


class MaskedLMRunner:
    """Encodes texts with one masked-LM: windows, length-sorted batches, bounded logits."""

    def __init__(self, lm: MaskedLM, settings: RunSettings, vocab: Sequence[str]) -> None:
        self.lm = lm
        self.pooling: Pooling = settings.pooling
        self.max_length = settings.max_length
        self.stride = settings.stride
        self.split_long = settings.split_long
        self.batch_size = settings.batch_size
        self.max_logits_bytes = settings.max_logits_mb * 2**20
        self.vocab = vocab

    def encode(
        self, texts: Sequence[str], show_progress: bool | None = None
    ) -> list[SparseVector]:
        """Encode non-empty texts into vectors, in input order."""
        import torch

        if not texts:
            return []
        tokenizer = self.lm.tokenizer
        windows = tokenize_windows(
            tokenizer,
            texts,
            max_length=self.max_length,
            stride=self.stride,
            split_long=self.split_long,
        )
        batches = length_sorted_batches(
            windows,
            self.batch_size,
            int(tokenizer.pad_token_id or 0),
            skip_repeated=self.pooling == "sum",
        )
        total = math.ceil(len(windows.ids) / self.batch_size)
        if show_progress is None:
            show_progress = total >= PROGRESS_MIN_BATCHES and logger.isEnabledFor(logging.INFO)

        parts: list[list[tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]]] = [
            [] for _ in texts
        ]
        with torch.inference_mode():
            for batch in tqdm(batches, total=total, disable=not show_progress, unit="batch"):
                pooled = self._pool(batch)
                for window, (indices, values) in zip(batch.windows, _rows(pooled), strict=True):
                    parts[windows.owners[window]].append((indices, values))
        return [self._combine(text_parts) for text_parts in parts]

    def _pool(self, batch: Batch) -> torch.Tensor:
        """`(batch, vocab)` float32 SPLADE weights of one padded batch."""
        import torch

        device = self.lm.model.device
        input_ids = torch.from_numpy(batch.input_ids).to(device)
        attention_mask = torch.from_numpy(batch.attention_mask).to(device)
        pool_mask = torch.from_numpy(batch.pool_mask).to(device)
        rows, width = batch.input_ids.shape
        element = torch.finfo(self.lm.model.dtype).bits // 8
        step = max(1, self.max_logits_bytes // (width * self.lm.vocab_size * element))
        pooled = torch.empty((rows, self.lm.vocab_size), dtype=torch.float32, device=device)

        if self.lm.body is not None and self.lm.head is not None:
            # the body runs on the whole batch; the head's (step, width, vocab) logits at a time
            hidden = self.lm.body(input_ids=input_ids, attention_mask=attention_mask)[0]
            for start in range(0, rows, step):
                logits = self.lm.head(hidden[start : start + step])
                chunk = splade_pool(
                    logits, pool_mask[start : start + step], self.pooling, inplace=True
                )
                pooled[start : start + step] = chunk
            return pooled

        for start in range(0, rows, step):
            logits = self.lm.model(
                input_ids=input_ids[start : start + step],
                attention_mask=attention_mask[start : start + step],
            ).logits
            chunk = splade_pool(
                logits, pool_mask[start : start + step], self.pooling, inplace=True
            )
            pooled[start : start + step] = chunk
        return pooled

    def _combine(
        self, parts: list[tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]]
    ) -> SparseVector:
        """Pool the window vectors of one text with the encoder's pooling."""
        if len(parts) == 1:
            return SparseVector(parts[0][0], parts[0][1], self.vocab)
        indices = np.concatenate([p[0] for p in parts])
        values = np.concatenate([p[1] for p in parts])
        order = np.argsort(indices, kind="stable")
        indices, values = indices[order], values[order]
        unique, starts = np.unique(indices, return_index=True)
        reduce = np.maximum if self.pooling == "max" else np.add
        return SparseVector(unique, reduce.reduceat(values, starts), self.vocab)


def _rows(
    pooled: torch.Tensor,
) -> list[tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]]:
    """Split a dense `(rows, vocab)` tensor into per-row `(indices, values)` of its non-zeros."""
    row_ids, term_ids = pooled.nonzero(as_tuple=True)
    values = pooled[row_ids, term_ids].cpu().numpy()
    row_ids_np = row_ids.cpu().numpy()
    term_ids_np = term_ids.cpu().numpy().astype(np.int32)
    bounds = np.searchsorted(row_ids_np, np.arange(pooled.shape[0] + 1))
    return [
        (term_ids_np[bounds[r] : bounds[r + 1]], values[bounds[r] : bounds[r + 1]])
        for r in range(pooled.shape[0])
    ]
