"""Fine-tuning SPLADE: the ranking loss over in-batch and hard negatives, FLOPS regularisation.

`train` fine-tunes a masked-LM checkpoint on a BEIR folder's train judgements (or a triples
file) and saves a model that `SpladeEncoder` loads as it is. The losses are plain functions
for use in other training loops. Names are imported on first use, so importing this package
loads neither torch nor the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from splade_rag.lazy import lazy_exports

if TYPE_CHECKING:
    from splade_rag.train.config import TrainingConfig, saved_config
    from splade_rag.train.data import TrainingData, load_training_data, read_teacher_scores
    from splade_rag.train.losses import (
        flops,
        in_batch_ranking_loss,
        l1,
        margin_mse,
        regularization,
        warmed_up_weight,
    )
    from splade_rag.train.negatives import mine_negatives
    from splade_rag.train.trainer import TrainingResult, train

__all__ = [
    "TrainingConfig",
    "TrainingData",
    "TrainingResult",
    "flops",
    "in_batch_ranking_loss",
    "l1",
    "load_training_data",
    "margin_mse",
    "mine_negatives",
    "read_teacher_scores",
    "regularization",
    "saved_config",
    "train",
    "warmed_up_weight",
]

_MODULES = {
    "TrainingConfig": "config",
    "saved_config": "config",
    "TrainingData": "data",
    "load_training_data": "data",
    "read_teacher_scores": "data",
    "flops": "losses",
    "in_batch_ranking_loss": "losses",
    "l1": "losses",
    "margin_mse": "losses",
    "regularization": "losses",
    "warmed_up_weight": "losses",
    "mine_negatives": "negatives",
    "TrainingResult": "trainer",
    "train": "trainer",
}


__getattr__, __dir__ = lazy_exports(
    __name__, {name: f"{__name__}.{module}" for name, module in _MODULES.items()}, globals()
)
