"""The training output folder: the trained model, its checkpoints, and the state to resume.

OUT/                       the final model: `SpladeEncoder(OUT)` loads it
  config.json, model.safetensors, tokenizer files, splade_rag.json (pooling)
  training.json            the settings, the data, the steps done
  log.jsonl                loss, FLOPS and non-zero terms, one line per logged step
  negatives.json           the mined hard negatives, reused on resume
  checkpoints/step-NNNNNN/ a model as above plus trainer_state.pt (optimizer, schedule,
                           random state), the latest few kept
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from splade_rag.models import SETTINGS_FILE

if TYPE_CHECKING:
    from splade_rag.models import MaskedLM

__all__ = [
    "TRAINING_FILE",
    "OutputFolderError",
    "check_output",
    "checkpoint_folder",
    "clear_output",
    "latest_checkpoint",
    "load_state",
    "prune_checkpoints",
    "read_training",
    "save_checkpoint",
    "save_model",
    "write_training",
]

logger = logging.getLogger(__name__)

TRAINING_FILE = "training.json"
STATE_FILE = "trainer_state.pt"
CHECKPOINTS = "checkpoints"
# what an earlier run of ours leaves in the folder, removed by `overwrite`
OWN_FILES = ("log.jsonl", "negatives.json", TRAINING_FILE, SETTINGS_FILE)
_STEP = re.compile(r"step-(\d+)$")


class OutputFolderError(ValueError):
    """The output folder holds something that training would overwrite."""


def check_output(folder: Path, *, overwrite: bool, resume: bool) -> bool:
    """Check that training may write into `folder`; returns whether a run is to be resumed.

    Nothing is changed here. An empty or missing folder is fine. A folder holding an earlier
    training run is resumed with `resume`, and started afresh with `overwrite` (see
    `clear_output`). Anything else is refused, so nothing is overwritten by mistake.

    Raises:
        OutputFolderError: the folder is not empty and the flags do not say what to do.
    """
    if resume and overwrite:
        raise ValueError("resume and overwrite exclude each other: choose one")
    if folder.exists() and not folder.is_dir():
        raise OutputFolderError(f"{folder} is a file; give a folder to train into")
    contents = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    ours = (folder / TRAINING_FILE).is_file()
    if resume:
        if not ours:
            raise OutputFolderError(
                f"{folder} holds no training run to resume (no {TRAINING_FILE}); drop --resume "
                "to start one"
            )
        return True
    if contents and not overwrite:
        what = "an earlier training run" if ours else f"other files ({', '.join(contents[:4])})"
        fix = "--resume to continue it, " if ours else ""
        raise OutputFolderError(
            f"{folder} already holds {what}. Pass {fix}--overwrite to replace it, or choose "
            "an empty or new folder; nothing was changed."
        )
    return False


def clear_output(folder: Path) -> None:
    """Create `folder`, removing an earlier run's log, negatives and checkpoints from it.

    Other files are left alone; the model files are replaced when the new run saves.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name in OWN_FILES:
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(folder / CHECKPOINTS, ignore_errors=True)


def save_model(lm: MaskedLM, folder: Path, pooling: str) -> None:
    """Save the model and tokenizer with `save_pretrained`, and the encoder's pooling."""
    folder.mkdir(parents=True, exist_ok=True)
    lm.model.save_pretrained(folder)
    lm.tokenizer.save_pretrained(folder)
    settings = {"pooling": pooling}
    (folder / SETTINGS_FILE).write_text(json.dumps(settings, indent=2), encoding="utf-8")


def checkpoint_folder(output: Path, step: int) -> Path:
    """Where the checkpoint of `step` goes."""
    return output / CHECKPOINTS / f"step-{step:06d}"


def save_checkpoint(lm: MaskedLM, output: Path, step: int, pooling: str, state: Any) -> Path:
    """Save the model at `step` and the trainer's state (optimizer, schedule, random state)."""
    import torch

    folder = checkpoint_folder(output, step)
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    save_model(lm, partial, pooling)
    torch.save(state, partial / STATE_FILE)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)  # a checkpoint exists whole or not at all
    return folder


def _checkpoints(output: Path) -> list[tuple[int, Path]]:
    """The complete checkpoints as (step, folder), oldest first."""
    found = []
    for folder in (output / CHECKPOINTS).glob("step-*"):
        match = _STEP.search(folder.name)
        if match and (folder / STATE_FILE).is_file():
            found.append((int(match.group(1)), folder))
    return sorted(found)


def latest_checkpoint(output: Path) -> tuple[Path, int] | None:
    """The newest complete checkpoint and its step, if any."""
    found = _checkpoints(output)
    if not found:
        return None
    step, folder = found[-1]
    return folder, step


def load_state(folder: Path) -> Any:
    """The trainer state saved in a checkpoint."""
    import torch

    return torch.load(folder / STATE_FILE, weights_only=False)


def prune_checkpoints(output: Path, keep: int) -> None:
    """Delete all but the `keep` newest checkpoints."""
    folders = _checkpoints(output)
    for _, folder in folders[: max(0, len(folders) - keep)]:
        shutil.rmtree(folder, ignore_errors=True)


def write_training(output: Path, record: dict[str, Any]) -> None:
    """Write `training.json`: settings, data and progress."""
    (output / TRAINING_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")


def read_training(output: Path) -> dict[str, Any]:
    """Read `training.json`."""
    record: dict[str, Any] = json.loads((output / TRAINING_FILE).read_text(encoding="utf-8"))
    return record
