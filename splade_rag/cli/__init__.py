"""The `splade-rag` command line: one module per group of commands."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from splade_rag import __version__
from splade_rag.cli import chat, encode, evaluate, store, train
from splade_rag.errors import SpladeRagError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for reports that cite it
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
    store.register_demo(commands)
    store.register_index(commands)
    store.register_search(commands)
    chat.register(commands)
    encode.register(commands)
    evaluate.register(commands)
    evaluate.register_bench(commands)
    train.register(commands)
    return parser


def _quiet_transformers() -> None:
    """Hide transformers' weight-loading progress bars in the terminal output."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    sys.exit(main())
