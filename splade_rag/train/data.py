"""Training data: labelled queries, their documents and hard negatives, cut into batches.

Two sources: a BEIR folder (`corpus.jsonl`, `queries.jsonl`, `qrels/train.tsv`; positives are
the judgements above 0), or a triples file, one training example a line, either tab-separated
`query<TAB>positive<TAB>negative...` or JSON `{"query": ..., "positive": ..., "negatives":
[...]}`. Teacher scores for distillation are read from a `query-id<TAB>doc-id<TAB>score` file,
which needs the ids of a BEIR folder.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from splade_rag.documents import parse_json_line
from splade_rag.eval.beir import load_beir, read_qrels, read_queries

__all__ = ["Batch", "TrainingData", "batches", "load_training_data", "read_teacher_scores"]


@dataclass
class TrainingData:
    """Queries with their positive documents, the corpus they index, and hard negatives.

    Attributes:
        name: where the data came from, for logs and the saved training settings.
        queries: `{query id: text}` of the labelled queries.
        documents: `{document id: text}`, the corpus (hard negatives are mined from it).
        positives: `{query id: [document id, ...]}`, each query's relevant documents.
        negatives: `{query id: [document id, ...]}`, hard negatives, hardest first.
        teacher: `{(query id, document id): score}` for MarginMSE distillation; may be empty.
    """

    name: str
    queries: dict[str, str]
    documents: dict[str, str]
    positives: dict[str, list[str]]
    negatives: dict[str, list[str]] = field(default_factory=dict)
    teacher: dict[tuple[str, str], float] = field(default_factory=dict)

    def pairs(self) -> list[tuple[str, str]]:
        """Every (query id, positive document id), the unit of training."""
        return [(q, d) for q, docs in self.positives.items() for d in docs]


@dataclass(frozen=True)
class Batch:
    """One training batch: queries, the documents they are scored against, and the labels.

    `documents` holds every query's positive first (row `i` for query `i`), then the hard
    negatives; `negatives[i]` lists the rows of query `i`'s own hard negatives.
    """

    query_ids: list[str]
    document_ids: list[str]
    negatives: list[list[int]]

    def excluded(self, data: TrainingData) -> list[list[bool]]:
        """`[query][document]`: True where the document is one of that query's positives."""
        rows = []
        for query in self.query_ids:
            positives = set(data.positives[query])
            rows.append([doc in positives for doc in self.document_ids])
        return rows


def load_training_data(source: str | Path, split: str = "train") -> TrainingData:
    """Read a BEIR folder's `split` judgements, or a triples file.

    Raises:
        FileNotFoundError: no such folder or file, or the folder lacks the split.
        ValueError: no labelled pairs, positives naming unknown documents or queries, or a
            malformed line (the message names the file and line).
    """
    path = Path(source)
    if path.is_file():
        return _read_triples(path)
    data = load_beir(path, split)
    qrels_file = path / "qrels" / f"{split}.tsv"
    if data.unknown_documents or data.unknown_queries:
        _raise_unknown(qrels_file, path / "queries.jsonl", {str(d.id) for d in data.documents})

    positives = {
        query: [doc for doc, grade in judged.items() if grade > 0]
        for query, judged in data.qrels.items()
    }
    positives = {query: docs for query, docs in positives.items() if docs}
    if not positives:
        raise ValueError(
            f"{qrels_file}: no judgement above 0, so there is nothing to learn from; training "
            "needs queries with at least one relevant document"
        )
    return TrainingData(
        name=f"{path.name} ({split})",
        queries={q: data.queries[q] for q in positives},
        documents={str(d.id): d.text for d in data.documents},
        positives=positives,
    )


def read_teacher_scores(path: str | Path, data: TrainingData) -> dict[tuple[str, str], float]:
    """`{(query id, document id): score}` from a `query-id<TAB>doc-id<TAB>score` file.

    Raises:
        ValueError: a malformed line, or ids that the training data does not have.
    """
    path = Path(path)
    scores: dict[tuple[str, str], float] = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            fields = line.rstrip("\n").split("\t")
            if not line.strip() or (number == 1 and fields[0] in ("query-id", "qid")):
                continue
            try:
                query, doc, score = fields[0], fields[1], float(fields[2])
            except (IndexError, ValueError):
                raise ValueError(
                    f"{path}, line {number}: expected query-id<TAB>doc-id<TAB>score"
                ) from None
            if query not in data.queries or doc not in data.documents:
                raise ValueError(
                    f"{path}, line {number}: query {query!r} or document {doc!r} is not in the "
                    f"training data {data.name}; teacher scores must use its ids"
                )
            scores[(query, doc)] = score
    if not scores:
        raise ValueError(f"{path}: no teacher scores in the file")
    return scores


def batches(
    data: TrainingData, batch_size: int, negatives_per_query: int, seed: int
) -> Iterator[Batch]:
    """Batches of `batch_size` pairs for ever: a new shuffle every epoch, the same every run.

    Each query brings up to `negatives_per_query` hard negatives, drawn from its list.
    """
    pairs = data.pairs()
    epoch = 0
    while True:
        order = random.Random(f"{seed}-{epoch}").sample(pairs, len(pairs))
        for start in range(0, len(order) - batch_size + 1, batch_size):
            chosen = order[start : start + batch_size]
            draw = random.Random(f"{seed}-{epoch}-{start}")
            query_ids = [q for q, _ in chosen]
            document_ids = [d for _, d in chosen]
            negatives: list[list[int]] = []
            for query in query_ids:
                pool = data.negatives.get(query, [])
                picked = draw.sample(pool, min(negatives_per_query, len(pool)))
                negatives.append(list(range(len(document_ids), len(document_ids) + len(picked))))
                document_ids.extend(picked)
            yield Batch(query_ids, document_ids, negatives)
        epoch += 1


def _raise_unknown(qrels_file: Path, queries_file: Path, known: set[str]) -> None:
    """Raise a `ValueError` naming the judgements whose query or document does not exist."""
    all_queries = read_queries(queries_file)
    judged = read_qrels(qrels_file)
    missing_docs = sorted({d for docs in judged.values() for d in docs if d not in known})
    missing_queries = sorted(q for q in judged if q not in all_queries)
    problems = []
    if missing_docs:
        problems.append(
            f"{len(missing_docs)} document ids not in corpus.jsonl (e.g. "
            f"{', '.join(missing_docs[:3])})"
        )
    if missing_queries:
        problems.append(
            f"{len(missing_queries)} query ids not in queries.jsonl (e.g. "
            f"{', '.join(missing_queries[:3])})"
        )
    raise ValueError(
        f"{qrels_file} names {' and '.join(problems)}. Training would learn from wrong "
        "labels: fix the ids, or give the corpus and queries the judgements were made for."
    )


def _read_triples(path: Path) -> TrainingData:
    """Training data from a triples file (TSV or JSON lines)."""
    queries: dict[str, str] = {}
    documents: dict[str, str] = {}
    positives: dict[str, list[str]] = {}
    negatives: dict[str, list[str]] = {}

    def doc_id(text: str) -> str:
        key = "d" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
        documents[key] = text
        return key

    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            query, positive, negative_texts = _triple(path, number, line)
            query_id = "q" + hashlib.sha1(query.encode("utf-8")).hexdigest()[:16]
            queries[query_id] = query
            known = positives.setdefault(query_id, [])
            if (positive_id := doc_id(positive)) not in known:
                known.append(positive_id)
            mined = negatives.setdefault(query_id, [])
            mined.extend(n for n in map(doc_id, negative_texts) if n not in mined)
    if not queries:
        raise ValueError(f"{path}: no training examples; each line needs a query and a positive")
    negatives = {q: [d for d in docs if d not in positives[q]] for q, docs in negatives.items()}
    return TrainingData(path.name, queries, documents, positives, negatives)


def _triple(path: Path, number: int, line: str) -> tuple[str, str, list[str]]:
    """The query, the positive and the negatives of one triples line."""
    where = f"{path}, line {number}"
    if line.lstrip().startswith("{"):
        record = parse_json_line(path, number, line)
        query, positive = record.get("query"), record.get("positive")
        found = record.get("negatives", [])
        if not isinstance(query, str) or not isinstance(positive, str):
            raise ValueError(f"{where}: expected string fields 'query' and 'positive'")
        if not isinstance(found, list) or not all(isinstance(n, str) for n in found):
            raise ValueError(f"{where}: 'negatives' must be a list of strings")
        texts = [query, positive, *found]
    else:
        texts = line.rstrip("\n").split("\t")
        if len(texts) < 2:
            raise ValueError(f"{where}: expected query<TAB>positive[<TAB>negative...]")
    if not all(text.strip() for text in texts):
        raise ValueError(f"{where}: an empty query or document")
    return texts[0], texts[1], texts[2:]
