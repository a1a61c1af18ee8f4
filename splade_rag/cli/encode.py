"""`splade-rag encode`: a text's SPLADE terms and weights."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["load_encoder", "model_option", "register"]


def register(commands: Any) -> None:
    """Add the `encode` command."""
    encode = commands.add_parser(
        "encode",
        help="encode a text and print its terms and weights",
        description="Encode TEXT into a SPLADE vector and print its terms, heaviest first.",
    )
    encode.add_argument("text", metavar="TEXT")
    encode.add_argument("--query", action="store_true", help="encode as a query, not a document")
    model_option(encode)
    encode.add_argument("--top-k", type=int, metavar="K", help="keep the K heaviest terms")
    encode.add_argument("--min-weight", type=float, metavar="W", help="drop terms below W")
    encode.add_argument("--json", action="store_true", help="print indices, values and terms")
    encode.set_defaults(run=_encode)


def model_option(command: argparse.ArgumentParser) -> None:
    """Add `--model`."""
    command.add_argument(
        "--model",
        metavar="M",
        help="SPLADE model: hub id or local folder (default: $SPLADE_RAG_MODEL, else the "
        "reference model; offline, the bundled SPLADE-tiny)",
    )


def load_encoder(model: str | None) -> Any:
    """A `SpladeEncoder` for `--model`, saying on stderr when an offline stand-in is used."""
    from splade_rag.encoder import SpladeEncoder
    from splade_rag.models import choose_model

    name, notice = choose_model(model)
    if notice:
        print(f"note: {notice}", file=sys.stderr)
    return SpladeEncoder(name)


def _encode(args: argparse.Namespace) -> int:
    encoder = load_encoder(args.model)
    encode = encoder.encode_queries if args.query else encoder.encode_documents
    vector = encode(args.text, top_k=args.top_k, min_weight=args.min_weight)

    if args.json:
        payload = {
            "model": encoder.model_name,
            "indices": vector.indices.tolist(),
            "values": vector.values.tolist(),
            "terms": dict(vector.decode()),
        }
        print(json.dumps(payload, indent=2))
        return 0
    print(f"{len(vector)} terms ({encoder.model_name})")
    for term, weight in vector.decode():
        print(f"{weight:8.4f}  {term}")
    return 0
