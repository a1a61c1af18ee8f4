"""The `splade-rag` command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from splade_rag import __version__
from splade_rag.errors import SpladeRagError

if TYPE_CHECKING:
    from splade_rag.encoder import SpladeEncoder
    from splade_rag.vectors import SparseVector

__all__ = ["main"]

logger = logging.getLogger(__name__)

DEMO_QUERIES = (
    "which city is the capital of france?",
    "how do plants make energy from sunlight",
    "making bread with wild yeast",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        _quiet_transformers()
    try:
        status: int = args.run(args)
    except (SpladeRagError, ValueError, TypeError, OSError) as error:
        print(f"splade-rag {args.command}: error: {error}", file=sys.stderr)
        return 1
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="splade-rag",
        description="SPLADE learned-sparse retrieval for RAG, stored in Qdrant.",
    )
    parser.add_argument("--version", action="version", version=f"splade-rag {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress (INFO)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    encode = commands.add_parser(
        "encode",
        help="encode a text and print its terms and weights",
        description="Encode TEXT into a SPLADE vector and print its terms, heaviest first.",
    )
    encode.add_argument("text", metavar="TEXT")
    encode.add_argument("--query", action="store_true", help="encode as a query, not a document")
    _model_option(encode)
    encode.add_argument("--top-k", type=int, metavar="K", help="keep the K heaviest terms")
    encode.add_argument("--min-weight", type=float, metavar="W", help="drop terms below W")
    encode.add_argument("--json", action="store_true", help="print indices, values and terms")
    encode.set_defaults(run=_encode)

    demo = commands.add_parser(
        "demo",
        help="encode the bundled sample corpus and answer a few searches",
        description="Encode the sample corpus shipped with splade-rag, answer a few queries by "
        "exact SPLADE dot product and show the terms each hit matched.",
    )
    _model_option(demo)
    demo.add_argument("--corpus", type=Path, help="a .jsonl corpus (id, title, text) instead")
    demo.add_argument("--top-k", type=int, default=3, metavar="K", help="hits per query")
    demo.add_argument("queries", nargs="*", metavar="QUERY", help="queries (default: examples)")
    demo.set_defaults(run=_demo)
    return parser


def _model_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--model",
        metavar="M",
        help="hub id or local folder (default: $SPLADE_RAG_MODEL, else the reference model; "
        "offline, the bundled SPLADE-tiny)",
    )


def _load_encoder(model: str | None) -> SpladeEncoder:
    from splade_rag.encoder import SpladeEncoder
    from splade_rag.models import choose_model

    name, notice = choose_model(model)
    if notice:
        print(f"note: {notice}", file=sys.stderr)
    return SpladeEncoder(name)


def _encode(args: argparse.Namespace) -> int:
    encoder = _load_encoder(args.model)
    encode = encoder.encode_queries if args.query else encoder.encode_documents
    vector = encode(args.text, top_k=args.top_k, min_weight=args.min_weight)

    if args.json:
        terms = vector.decode()
        payload = {
            "model": encoder.model_name,
            "indices": vector.indices.tolist(),
            "values": vector.values.tolist(),
            "terms": dict(terms),
        }
        print(json.dumps(payload, indent=2))
        return 0
    print(f"{len(vector)} terms ({encoder.model_name})")
    for term, weight in vector.decode():
        print(f"{weight:8.4f}  {term}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    ids, texts = _read_corpus(args.corpus)
    encoder = _load_encoder(args.model)
    print(f"Encoding {len(texts)} documents with {encoder.model_name} ...")
    documents = encoder.encode_documents(texts)
    mean_terms = sum(len(d) for d in documents) / len(documents)
    print(f"  {mean_terms:.0f} terms per document on average\n")

    for query in args.queries or DEMO_QUERIES:
        vector = encoder.encode_queries(query)
        print(f"Query: {query}")
        print("  terms: " + ", ".join(f"{t} {w:.2f}" for t, w in vector.decode()[:8]))
        for rank, (position, score) in enumerate(_rank(vector, documents, args.top_k), 1):
            matched = vector.matched_terms(documents[position])[:4]
            why = ", ".join(f"{term} {q:.2f}x{d:.2f}" for term, q, d, _ in matched)
            print(f"  {rank}. {ids[position]:<16} score {score:6.2f}  matched: {why}")
        print()
    return 0


def _rank(query: SparseVector, documents: list[SparseVector], k: int) -> list[tuple[int, float]]:
    scores = [(position, query.dot(document)) for position, document in enumerate(documents)]
    scores.sort(key=lambda pair: -pair[1])
    return [pair for pair in scores[:k] if pair[1] > 0]


def _read_corpus(path: Path | None) -> tuple[list[str], list[str]]:
    """Ids and texts (title and text) of a JSON-lines corpus; the bundled sample by default."""
    if path is None:
        lines = resources.files("splade_rag").joinpath("data/sample_corpus.jsonl").read_text()
        source = "the sample corpus"
    else:
        lines = path.read_text(encoding="utf-8")
        source = str(path)
    ids, texts = [], []
    for number, line in enumerate(lines.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            ids.append(str(record.get("id", record.get("_id", number))))
            texts.append(f"{record.get('title', '')} {record['text']}".strip())
        except (json.JSONDecodeError, KeyError, AttributeError) as error:
            raise ValueError(
                f"{source}, line {number}: expected a JSON object with a 'text' field ({error})"
            ) from error
    return ids, texts


def _quiet_transformers() -> None:
    """Hide transformers' weight-loading progress bars in the terminal output."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    sys.exit(main())
