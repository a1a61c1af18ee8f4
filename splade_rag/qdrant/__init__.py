"""Qdrant storage: collection schemas, payload layouts and the two backends.

A location string picks the backend: a folder path (or `":memory:"`) is the embedded Qdrant
Edge engine; an `http(s)://` URL is a Qdrant server or cluster through qdrant-client. A
`QdrantClient` may also be passed in directly (its local mode included), and a folder that
qdrant-client's local mode wrote (as `langchain-qdrant` or LlamaIndex do with `path=`) is
opened through qdrant-client.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from splade_rag.qdrant.backend import Backend, Condition, Found, Point, Probe
from splade_rag.qdrant.schema import PRESETS, Schema, VectorSpec, check_schema

if TYPE_CHECKING:
    from qdrant_client import AsyncQdrantClient, QdrantClient

__all__ = [
    "DEFAULT_LOCATION",
    "PRESETS",
    "Backend",
    "Condition",
    "Found",
    "Point",
    "Probe",
    "Schema",
    "VectorSpec",
    "check_schema",
    "is_local_mode_folder",
    "open_backend",
]

DEFAULT_LOCATION = "./splade_index"


def open_backend(
    location: str | Path | None = None,
    collection: str = "splade_rag",
    *,
    api_key: str | None = None,
    client: QdrantClient | None = None,
    async_client: AsyncQdrantClient | None = None,
) -> Backend:
    """The backend for `location` (default `./splade_index`), or for a given client."""
    if client is not None:
        from splade_rag.qdrant.client import ClientBackend

        return ClientBackend(client, collection, async_client)
    text = str(location if location is not None else DEFAULT_LOCATION)
    if text.startswith(("http://", "https://")):
        from qdrant_client import AsyncQdrantClient, QdrantClient

        from splade_rag.qdrant.client import ClientBackend

        return ClientBackend(
            QdrantClient(url=text, api_key=api_key),
            collection,
            AsyncQdrantClient(url=text, api_key=api_key),
            owns_clients=True,
        )
    if is_local_mode_folder(Path(text).expanduser()):
        from qdrant_client import QdrantClient

        from splade_rag.qdrant.client import ClientBackend

        return ClientBackend(QdrantClient(path=text), collection, owns_clients=True)
    from splade_rag.qdrant.edge import EdgeBackend

    return EdgeBackend(text, collection)


def is_local_mode_folder(path: Path) -> bool:
    """Whether `path` holds a store written by qdrant-client's local mode (`path=`)."""
    return (path / "meta.json").is_file() and (path / "collection").is_dir()
