"""`splade-rag index`, `search` and `demo`: documents into a Qdrant store and back out."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any

from splade_rag.cli.encode import load_encoder, model_option
from splade_rag.fusion import DEFAULT_FUSION, FUSIONS
from splade_rag.qdrant import DEFAULT_LOCATION
from splade_rag.retrieval import MODES, Hit

__all__ = [
    "dense_options",
    "open_store",
    "register_demo",
    "register_index",
    "register_search",
    "store_options",
]

DEMO_COLLECTION = "demo"
DEMO_QUERIES = (
    "which city is the capital of france?",
    "how do plants make energy from sunlight",
    "making bread with wild yeast",
)


def register_index(commands: Any) -> None:
    """Add the `index` command."""
    index = commands.add_parser(
        "index",
        help="index .txt, .md or .jsonl files (or folders of them) into a collection",
        description="Chunk, encode (SPLADE, BM25 and dense) and store documents. Re-indexing "
        "is an idempotent update; an interrupted run finishes when run again.",
    )
    index.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    store_options(index)
    model_option(index)
    dense_options(index)
    index.add_argument("--no-bm25", action="store_true", help="leave out the BM25 arm")
    index.add_argument("--chunk-size", type=int, default=256, metavar="N", help="tokens a chunk")
    index.add_argument("--chunk-overlap", type=int, default=32, metavar="N")
    index.add_argument("--batch-size", type=int, default=64, metavar="N", help="chunks a batch")
    index.set_defaults(run=_index)


def register_search(commands: Any) -> None:
    """Add the `search` command."""
    search = commands.add_parser(
        "search",
        help="search a collection (sparse, bm25, dense or hybrid)",
        description="Search a collection; hybrid fusion runs inside Qdrant. The models default "
        "to those the collection was indexed with.",
    )
    search.add_argument("query", nargs="?", metavar="QUERY")
    search.add_argument(
        "--queries",
        type=Path,
        metavar="FILE",
        help="search every query of a .jsonl file (`_id`/`id` and `text`, as BEIR's "
        "queries.jsonl) instead of QUERY; --json then prints {query id: hits}",
    )
    store_options(search)
    model_option(search)
    dense_options(search)
    _search_options(search)
    search.set_defaults(run=_search)


def register_demo(commands: Any) -> None:
    """Add the `demo` command."""
    demo = commands.add_parser(
        "demo",
        help="index the bundled sample corpus and answer a few searches",
        description="Index the sample corpus shipped with splade-rag into the embedded store "
        f"(collection {DEMO_COLLECTION!r}) and answer a few hybrid searches, showing the "
        "terms each hit matched.",
    )
    demo.add_argument("queries", nargs="*", metavar="QUERY", help="queries (default: examples)")
    demo.add_argument("--store", default=DEFAULT_LOCATION, metavar="DIR")
    model_option(demo)
    demo.add_argument("--top-k", type=int, default=3, metavar="K", help="hits per query")
    demo.set_defaults(run=_demo)


def store_options(command: argparse.ArgumentParser) -> None:
    """Add the options that locate a collection: store, collection, schema, API key."""
    command.add_argument(
        "--store",
        default=DEFAULT_LOCATION,
        metavar="DIR|URL",
        help="store folder (embedded Qdrant, or one written by qdrant-client's local mode), "
        f":memory:, or a Qdrant server URL (default {DEFAULT_LOCATION})",
    )
    command.add_argument("--collection", default="splade_rag", metavar="NAME")
    command.add_argument(
        "--schema",
        choices=("default", "langchain", "llamaindex"),
        default="default",
        help="vector names and payload layout: ours, langchain-qdrant's or LlamaIndex's",
    )
    command.add_argument("--api-key", metavar="KEY", help="API key of a Qdrant server")


def dense_options(command: argparse.ArgumentParser) -> None:
    """Add --dense-model and --no-dense."""
    group = command.add_mutually_exclusive_group()
    group.add_argument(
        "--dense-model",
        metavar="M",
        help="dense model (default: $SPLADE_RAG_DENSE_MODEL, else all-MiniLM-L6-v2; offline, "
        "the bundled copy)",
    )
    group.add_argument("--no-dense", action="store_true", help="no dense vectors")


def _search_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--mode", choices=MODES, default="hybrid")
    command.add_argument("--top-k", type=int, default=10, metavar="K")
    command.add_argument(
        "--fusion",
        choices=FUSIONS,
        default=DEFAULT_FUSION,
        help=f"hybrid fusion (default {DEFAULT_FUSION})",
    )
    command.add_argument("--alpha", type=float, help="convex fusion: weight of the first arm")
    command.add_argument(
        "--prefetch", type=int, default=100, metavar="N", help="candidates per arm for fusion"
    )
    command.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="metadata condition (repeatable); VALUE is read as JSON when it parses",
    )
    command.add_argument("--explain", action="store_true", help="show the matched terms")
    command.add_argument("--json", action="store_true", help="print the hits as JSON")


def open_store(args: argparse.Namespace, *, indexing: bool) -> Any:
    """A `SpladeStore` for the command's options, models defaulting to the collection's."""
    from splade_rag.dense import DenseEncoder
    from splade_rag.models import choose_dense_model
    from splade_rag.qdrant import open_backend
    from splade_rag.store import SpladeStore

    backend = open_backend(args.store, args.collection, api_key=args.api_key)
    recorded = backend.metadata() if backend.vectors() is not None else {}
    backend.close()

    encoder = load_encoder(args.model or recorded.get("sparse_model"))
    dense = None
    dense_model = args.dense_model or recorded.get("dense_model")
    if not args.no_dense and (dense_model or (indexing and not recorded)):
        name, notice = choose_dense_model(dense_model)
        if notice:
            print(f"note: {notice}", file=sys.stderr)
        dense = DenseEncoder(name)
    options: dict[str, Any] = {}
    if indexing:
        options = {
            "bm25": not args.no_bm25,
            "chunk_size": args.chunk_size,
            "chunk_overlap": args.chunk_overlap,
            "batch_size": args.batch_size,
        }
    return SpladeStore(
        args.store,
        collection=args.collection,
        encoder=encoder,
        dense=dense,
        schema=args.schema,
        api_key=args.api_key,
        **options,
    )


def _index(args: argparse.Namespace) -> int:
    from splade_rag.documents import read_documents

    documents = [document for path in args.paths for document in read_documents(path)]
    with open_store(args, indexing=True) as store:
        report = store.add_documents(documents)
        total = store.count()
    print(
        f"indexed {report.documents} documents as {report.chunks} chunks into "
        f"{args.collection!r} at {args.store}: {report.written} written, {report.unchanged} "
        f"unchanged, {report.stale_removed} stale removed; {total} points in the collection"
    )
    return 0


def _search(args: argparse.Namespace) -> int:
    from splade_rag.documents import read_documents

    if (args.query is None) == (args.queries is None):
        raise ValueError("give either QUERY or --queries FILE (one of the two)")
    if args.queries is not None:
        queries = [(str(q.id), q.text) for q in read_documents(args.queries)]
    else:
        queries = [("query", args.query)]

    results = {}
    with open_store(args, indexing=False) as store:
        for query_id, text in queries:
            results[query_id] = store.search(
                text,
                mode=args.mode,
                top_k=args.top_k,
                fusion=args.fusion,
                alpha=args.alpha,
                prefetch=args.prefetch,
                filter=_filters(args.filter),
                explain=args.explain or args.json,
            )

    if args.json:
        as_json: Any = {q: [asdict(hit) for hit in hits] for q, hits in results.items()}
        if args.queries is None:
            as_json = as_json["query"]
        print(json.dumps(as_json, indent=2, ensure_ascii=False))
        return 0
    for query_id, hits in results.items():
        if args.queries is not None:
            print(f"{query_id}:")
        if not hits:
            print("no hits")
        for rank, hit in enumerate(hits, 1):
            _print_hit(rank, hit, explain=args.explain)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from splade_rag.dense import DenseEncoder
    from splade_rag.documents import read_documents
    from splade_rag.models import choose_dense_model
    from splade_rag.store import SpladeStore

    encoder = load_encoder(args.model)
    dense_name, notice = choose_dense_model(None)
    if notice:
        print(f"note: {notice}", file=sys.stderr)
    sample = resources.files("splade_rag").joinpath("data/sample_corpus.jsonl")
    with resources.as_file(sample) as path:
        documents = list(read_documents(path))

    store = SpladeStore(
        args.store, collection=DEMO_COLLECTION, encoder=encoder, dense=DenseEncoder(dense_name)
    )
    with store:
        report = store.add_documents(documents)
        print(
            f"Indexed {report.documents} sample documents into {args.store} "
            f"(collection {DEMO_COLLECTION!r}, embedded Qdrant): {report.written} written, "
            f"{report.unchanged} already there.\nSPLADE model: {encoder.model_name}\n"
        )
        for query in args.queries or DEMO_QUERIES:
            print(f"Query: {query}")
            for rank, hit in enumerate(store.search(query, top_k=args.top_k, explain=True), 1):
                _print_hit(rank, hit, explain=True)
            print()
    return 0


def _print_hit(rank: int, hit: Hit, *, explain: bool) -> None:
    arms = " | ".join(f"{arm} #{hit.ranks[arm]} {hit.scores[arm]:.3f}" for arm in hit.scores)
    name = hit.metadata.get("doc_id", hit.id)
    print(f"  {rank}. {name}  score {hit.score:.4f}  [{arms}]")
    print(f"     {_snippet(hit.text)}")
    if explain and hit.explanation:
        matched = ", ".join(
            f"{m.term} {m.query_weight:.2f}x{m.document_weight:.2f}" for m in hit.explanation[:5]
        )
        print(f"     matched: {matched}")


def _snippet(text: str, width: int = 110) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def _filters(items: list[str]) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--filter {item!r} must look like KEY=VALUE")
        try:
            filters[key] = json.loads(raw)
        except json.JSONDecodeError:
            filters[key] = raw
    return filters
