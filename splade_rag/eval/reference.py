"""The reference row: BM25 by the bm25s library, outside the store, to check the store's BM25.

Settings as `../shared/data/README.md` states them for its reference figures: k1 = 0.9,
b = 0.4, English stop words, the Snowball English stemmer, title and text.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from splade_rag.documents import Document
from splade_rag.eval.metrics import Run

__all__ = ["BM25S_SETTINGS", "bm25s_run"]

BM25S_SETTINGS = {"k1": 0.9, "b": 0.4, "stopwords": "en", "stemmer": "english"}


def bm25s_run(documents: Sequence[Document], queries: Mapping[str, str], depth: int) -> Run:
    """Each query's top `depth` documents (by id) and their BM25 scores, from bm25s."""
    try:
        import bm25s
        import Stemmer
    except ImportError as error:
        raise ImportError(
            "the bm25s reference needs bm25s and PyStemmer: pip install 'splade-rag[eval]'"
        ) from error

    # bm25s logs every indexing step at DEBUG through a handler of its own
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    stemmer = Stemmer.Stemmer(BM25S_SETTINGS["stemmer"])
    stopwords = str(BM25S_SETTINGS["stopwords"])
    corpus = bm25s.tokenize(
        [d.text for d in documents], stopwords=stopwords, stemmer=stemmer, show_progress=False
    )
    retriever = bm25s.BM25(k1=BM25S_SETTINGS["k1"], b=BM25S_SETTINGS["b"])
    retriever.index(corpus, show_progress=False)

    ids = [str(d.id) for d in documents]
    run: Run = {}
    texts = list(queries.values())
    tokens = bm25s.tokenize(texts, stopwords=stopwords, stemmer=stemmer, show_progress=False)
    results, scores = retriever.retrieve(
        tokens, k=min(depth, len(documents)), show_progress=False, n_threads=1
    )
    for query_id, row, row_scores in zip(queries, results, scores, strict=True):
        run[query_id] = {
            ids[int(i)]: float(s) for i, s in zip(row, row_scores, strict=True) if s > 0
        }
    return run
