"""Reading a test collection in the BEIR layout: corpus, queries and relevance judgements."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from splade_rag.documents import Document, parse_json_line, read_documents

__all__ = ["BeirData", "Qrels", "load_beir", "read_qrels", "read_queries"]

logger = logging.getLogger(__name__)

# query id -> document id -> graded relevance (> 0 is relevant)
Qrels = dict[str, dict[str, int]]


@dataclass
class BeirData:
    """A BEIR-layout collection: documents, queries, and the judgements of one split.

    `queries` holds only the queries the split judges. Judgements that name an unknown
    document or query are dropped and counted in `unknown_documents` / `unknown_queries`.
    """

    folder: Path
    split: str
    documents: list[Document]
    queries: dict[str, str]
    qrels: Qrels
    unknown_documents: int = 0
    unknown_queries: int = 0
    splits: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The collection's folder name."""
        return self.folder.name

    def corpus_digest(self) -> str:
        """A hash of the corpus file's bytes, to key caches on the data."""
        digest = hashlib.sha256()
        with (self.folder / "corpus.jsonl").open("rb") as corpus:
            for block in iter(lambda: corpus.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()[:16]


def load_beir(folder: str | Path, split: str = "test") -> BeirData:
    """Read `corpus.jsonl`, `queries.jsonl` and `qrels/<split>.tsv` from a BEIR folder.

    Raises:
        FileNotFoundError: the folder or one of its files is missing (the message lists what
            a BEIR folder holds, or the splits there are).
        ValueError: a malformed line; the message names the file and line.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{folder}: no such folder; give a BEIR folder holding corpus.jsonl, "
            "queries.jsonl and qrels/<split>.tsv"
        )
    for name in ("corpus.jsonl", "queries.jsonl"):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder / name}: missing; a BEIR folder holds {name}")
    splits = available_splits(folder)
    qrels_file = folder / "qrels" / f"{split}.tsv"
    if not qrels_file.is_file():
        raise FileNotFoundError(
            f"{qrels_file}: no split {split!r} here; the splits of {folder} are "
            f"{', '.join(splits) or '(none: qrels/ holds no .tsv file)'}"
        )

    documents = list(read_documents(folder / "corpus.jsonl"))
    all_queries = read_queries(folder / "queries.jsonl")
    judged = read_qrels(qrels_file)
    known_docs = {str(d.id) for d in documents}

    qrels: Qrels = {}
    unknown_docs = unknown_queries = 0
    for query_id, judgements in judged.items():
        if query_id not in all_queries:
            unknown_queries += len(judgements)
            continue
        kept = {doc: grade for doc, grade in judgements.items() if doc in known_docs}
        unknown_docs += len(judgements) - len(kept)
        if kept:
            qrels[query_id] = kept
    if unknown_docs or unknown_queries:
        logger.warning(
            "%s: %d judgements name unknown documents and %d unknown queries; they are left out",
            qrels_file,
            unknown_docs,
            unknown_queries,
        )
    if not qrels:
        raise ValueError(f"{qrels_file}: no judgement names a known query and document")
    queries = {q: all_queries[q] for q in qrels}
    return BeirData(
        folder, split, documents, queries, qrels, unknown_docs, unknown_queries, splits
    )


def available_splits(folder: Path) -> list[str]:
    """The splits a BEIR folder judges (`qrels/*.tsv`)."""
    return sorted(p.stem for p in (folder / "qrels").glob("*.tsv"))


def read_queries(path: Path) -> dict[str, str]:
    """`{query id: text}` from a BEIR `queries.jsonl`."""
    queries = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            record = parse_json_line(path, number, line)
            if (
                not isinstance(record, dict)
                or not isinstance(record.get("text"), str)
                or "_id" not in record
            ):
                raise ValueError(
                    f"{path}, line {number}: expected a JSON object with '_id' and a string 'text'"
                )
            queries[str(record["_id"])] = record["text"]
    return queries


def read_qrels(path: Path) -> Qrels:
    """`{query id: {document id: grade}}` from a BEIR qrels TSV (header line optional)."""
    qrels: Qrels = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            fields = line.rstrip("\n").split("\t")
            if not line.strip():
                continue
            if number == 1 and fields[0] in ("query-id", "query_id", "qid"):
                continue
            if len(fields) != 3:
                raise ValueError(
                    f"{path}, line {number}: expected query-id<TAB>corpus-id<TAB>score, "
                    f"got {len(fields)} fields"
                )
            try:
                grade = int(float(fields[2]))
            except ValueError:
                raise ValueError(
                    f"{path}, line {number}: score {fields[2]!r} is not a number"
                ) from None
            qrels.setdefault(fields[0], {})[fields[1]] = grade
    return qrels
