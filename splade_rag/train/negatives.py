"""Hard negatives: the documents a retriever ranks high for a query that are not its positives.

Both miners run through a throwaway embedded store: `bm25` indexes the corpus into the store's
BM25 arm (Qdrant's tokeniser and IDF, k1 0.9 and b 0.4 as the evaluation's), `model` indexes it
with a SPLADE encoder (the model being trained, before training) and searches its sparse arm.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal, get_args

from tqdm.auto import tqdm

from splade_rag.bm25 import Bm25Settings
from splade_rag.documents import Document
from splade_rag.qdrant.schema import Schema
from splade_rag.train.data import TrainingData

if TYPE_CHECKING:
    from splade_rag.encoder import SpladeEncoder

__all__ = ["MINERS", "Miner", "mine_negatives"]

logger = logging.getLogger(__name__)

Miner = Literal["bm25", "model"]
MINERS: tuple[str, ...] = get_args(Miner)


def mine_negatives(
    data: TrainingData,
    miner: Miner,
    encoder: SpladeEncoder,
    *,
    depth: int = 50,
    show_progress: bool = False,
) -> dict[str, list[str]]:
    """`{query id: [document id, ...]}`: each query's top `depth` hits that are not positives.

    Args:
        data: the training data; its corpus is indexed and its queries searched.
        miner: `"bm25"` or `"model"` (SPLADE with `encoder`).
        encoder: the SPLADE encoder; for `bm25` only its tokenizer is used.
        depth: hits searched per query (positives among them are dropped).
        show_progress: progress bars while indexing and searching.
    """
    from splade_rag.store import SpladeStore

    if miner not in MINERS:
        raise ValueError(f"negatives must be mined by one of {', '.join(MINERS)}; got {miner!r}")
    documents = [Document(text, id=doc_id) for doc_id, text in data.documents.items()]
    if miner == "bm25":
        schema = Schema(sparse=None, dense=None)
        texts = list(data.documents.values())
        bm25: bool | Bm25Settings = Bm25Settings.for_corpus(texts, k=0.9, b=0.4)
    else:
        schema, bm25 = Schema(bm25=None, dense=None), False
    mode: Literal["bm25", "sparse"] = "bm25" if miner == "bm25" else "sparse"

    logger.info("mining %s hard negatives for %d queries", miner, len(data.queries))
    with SpladeStore(
        ":memory:", encoder=encoder, schema=schema, bm25=bm25, chunk_size=None
    ) as store:
        store.add_documents(documents, show_progress=show_progress)
        mined = {}
        queries = tqdm(
            data.queries.items(), disable=not show_progress, desc="mining", unit="query"
        )
        for query_id, text in queries:
            hits = store.search(text, mode=mode, top_k=depth)
            known = set(data.positives[query_id])
            ranked = [str(hit.metadata["doc_id"]) for hit in hits]
            mined[query_id] = [doc for doc in ranked if doc not in known]
    return mined
