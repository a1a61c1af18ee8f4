"""The embedded backend: the Qdrant engine in-process through `qdrant-edge-py`.

A store is a folder with one Edge shard per collection (`<folder>/<collection>/`). The shard's
write-ahead log locks it, so one process at a time has a collection open.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import qdrant_edge as edge

from splade_rag.errors import CollectionNotFoundError, StoreError
from splade_rag.qdrant.backend import Condition, Found, Point, Probe, Vector
from splade_rag.qdrant.schema import Schema, VectorSpec
from splade_rag.vectors import SparseVector

__all__ = ["EdgeBackend"]

logger = logging.getLogger(__name__)

CONFIG_FILE = "edge_config.json"
METADATA_FILE = "splade_rag.json"


class EdgeBackend:
    """One collection in an embedded Qdrant Edge store folder (or in memory).

    Args:
        location: the store folder, or `":memory:"` for a temporary one removed on close.
        collection: the collection (a sub-folder of the store).
    """

    def __init__(self, location: str | Path, collection: str) -> None:
        _check_collection_name(collection)
        self.collection = collection
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        if str(location) == ":memory:":
            self._scratch = tempfile.TemporaryDirectory(prefix="splade-rag-")
            root = Path(self._scratch.name)
        else:
            root = Path(location).expanduser()
        if root.exists() and not root.is_dir():
            raise StoreError(f"store location {str(root)!r} is a file, not a store folder")
        self.location = str(location)
        self.root = root
        self.path = root / collection
        self._shard: edge.EdgeShard | None = None

    def vectors(self) -> dict[str, VectorSpec] | None:
        """The collection's vectors as stored in its config, or None if there is none."""
        config = self.path / CONFIG_FILE
        if not self.path.exists():
            return None
        if not config.is_file():
            raise StoreError(
                f"{str(self.path)!r} exists but is not a Qdrant Edge collection (no {CONFIG_FILE})"
                "; point the store at another folder or choose another collection name"
            )
        raw = json.loads(config.read_text(encoding="utf-8"))
        specs = {
            name: VectorSpec(sparse=True, idf=params.get("modifier") == "idf")
            for name, params in (raw.get("sparse_vectors") or {}).items()
        }
        dense = raw.get("vectors") or {}
        for name, params in dense.items():
            specs[name] = VectorSpec(sparse=False, size=int(params["size"]))
        return specs

    def create(self, schema: Schema, metadata: Mapping[str, Any]) -> None:
        """Create the collection's shard and write `metadata` beside it."""
        dense: dict[str, edge.EdgeVectorParams] = {}
        sparse: dict[str, edge.EdgeSparseVectorParams] = {}
        for name, spec in schema.vectors().items():
            if spec.sparse:
                modifier = edge.Modifier.Idf if spec.idf else None
                sparse[name] = edge.EdgeSparseVectorParams(modifier=modifier)
            else:
                dense[name] = edge.EdgeVectorParams(
                    size=int(spec.size or 0), distance=edge.Distance.Cosine
                )
        config = edge.EdgeConfig(vectors=dense or None, sparse_vectors=sparse or None)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._shard = _call(self, lambda: edge.EdgeShard.create(str(self.path), config))
        (self.path / METADATA_FILE).write_text(json.dumps(dict(metadata), indent=2))
        logger.info("created collection %s in %s", self.collection, self.root)

    def metadata(self) -> dict[str, Any]:
        """The metadata written when the collection was created."""
        file = self.path / METADATA_FILE
        return dict(json.loads(file.read_text(encoding="utf-8"))) if file.is_file() else {}

    def upsert(self, points: Sequence[Point]) -> None:
        """Insert or replace points."""
        converted = [
            edge.Point(
                point.id, {k: _to_edge(v) for k, v in point.vectors.items()}, dict(point.payload)
            )
            for point in points
        ]
        shard = self._open()
        _call(self, lambda: shard.update(edge.UpdateOperation.upsert_points(converted)))

    def retrieve(
        self, ids: Sequence[str], *, payload: bool = True, vectors: Sequence[str] = ()
    ) -> list[Found]:
        """Existing points among `ids`."""
        if not ids:
            return []
        shard = self._open()
        records = _call(
            self, lambda: shard.retrieve(list(ids), payload, list(vectors) if vectors else False)
        )
        return [_found(record.id, 0.0, record.payload, record.vector) for record in records]

    def delete(self, ids: Sequence[str] = (), where: Sequence[Condition] = ()) -> None:
        """Delete points by id and/or by filter."""
        shard = self._open()
        if ids:
            _call(self, lambda: shard.update(edge.UpdateOperation.delete_points(list(ids))))
        if where:
            condition = _filter(where)
            _call(
                self, lambda: shard.update(edge.UpdateOperation.delete_points_by_filter(condition))
            )

    def count(self, where: Sequence[Condition] = ()) -> int:
        """Exact number of points (matching `where`)."""
        shard = self._open()
        request = edge.CountRequest(exact=True, filter=_filter(where) if where else None)
        return int(_call(self, lambda: shard.count(request)))

    def scroll(
        self, where: Sequence[Condition], limit: int, offset: str | None
    ) -> tuple[list[Found], str | None]:
        """A page of points and the next page's offset."""
        shard = self._open()
        request = edge.ScrollRequest(
            offset=offset,
            limit=limit,
            filter=_filter(where) if where else None,
            with_payload=True,
            with_vector=False,
        )
        records, following = _call(self, lambda: shard.scroll(request))
        page = [_found(record.id, 0.0, record.payload, None) for record in records]
        return page, None if following is None else str(following)

    def search(
        self,
        probes: Sequence[Probe],
        *,
        limit: int,
        where: Sequence[Condition] = (),
        fusion: Literal["rrf", "dbsf"] | None = None,
        rrf_k: int = 2,
        weights: Sequence[float] | None = None,
        score_threshold: float | None = None,
        payload: bool = True,
    ) -> list[list[Found]]:
        """Each probe alone and, with `fusion`, all fused by Qdrant: one batch request."""
        condition = _filter(where) if where else None
        alone_threshold = score_threshold if fusion is None else None
        requests = [
            edge.QueryRequest(
                limit=probe.limit,
                query=_nearest(probe),
                filter=condition,
                score_threshold=alone_threshold,
                with_payload=payload,
            )
            for probe in probes
        ]
        if fusion is not None:
            prefetches = [
                edge.Prefetch(limit=probe.limit, query=_nearest(probe), filter=condition)
                for probe in probes
            ]
            scoring: Any = (
                edge.Fusion.Rrf(k=rrf_k, weights=list(weights) if weights else None)
                if fusion == "rrf"
                else edge.Fusion.Dbsf()
            )
            requests.append(
                edge.QueryRequest(
                    limit=limit,
                    prefetches=prefetches,
                    query=scoring,
                    filter=condition,
                    score_threshold=score_threshold,
                    with_payload=payload,
                )
            )
        shard = self._open()
        batches = _call(self, lambda: shard.query_batch(edge.QueryBatchRequest(requests)))
        return [[_found(p.id, p.score, p.payload, None) for p in batch] for batch in batches]

    def optimize(self) -> bool:
        """Merge segments and build the dense vectors' HNSW index (after bulk ingest).

        Returns whether anything was done. Until it runs, dense search scans every vector.
        """
        shard = self._open()
        done = bool(_call(self, shard.optimize))
        logger.info("optimized collection %s: %s", self.collection, done)
        return done

    def close(self) -> None:
        """Flush and close the shard; a `:memory:` store is deleted."""
        if self._shard is not None:
            self._shard.flush()
            self._shard.close()
            self._shard = None
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    def drop(self) -> None:
        """Delete the collection and its files."""
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)

    def _open(self) -> edge.EdgeShard:
        if self._shard is None:
            if self.vectors() is None:
                raise CollectionNotFoundError(
                    f"collection {self.collection!r} does not exist in store {self.location!r}"
                )
            self._shard = _call(self, lambda: edge.EdgeShard.load(str(self.path)))
        return self._shard


def _call(backend: EdgeBackend, action: Any) -> Any:
    """Run an Edge call, turning its bare runtime errors into `StoreError`s that say why."""
    try:
        return action()
    except Exception as error:
        message = str(error)
        if "WouldBlock" in message:
            raise StoreError(
                f"collection {backend.collection!r} in {backend.location!r} is open in another "
                "process (its write-ahead log is locked). Close that process, or use a Qdrant "
                "server for concurrent access."
            ) from error
        if type(error) is Exception and "Service runtime error" in message:
            raise StoreError(f"Qdrant Edge refused the operation: {message}") from error
        raise


def _to_edge(vector: Vector) -> Any:
    if isinstance(vector, SparseVector):
        return edge.SparseVector(vector.indices.tolist(), vector.values.tolist())
    return np.asarray(vector, dtype=np.float32).tolist()


def _from_edge(vector: Any) -> Vector:
    if isinstance(vector, edge.SparseVector):
        return SparseVector.from_pairs(vector.indices, vector.values)
    return np.asarray(vector, dtype=np.float32)


def _found(point_id: Any, score: float, payload: Any, vectors: Any) -> Found:
    stored = {name: _from_edge(v) for name, v in (vectors or {}).items()}
    return Found(str(point_id), float(score), payload, stored)


def _nearest(probe: Probe) -> Any:
    return edge.Query.Nearest(_to_edge(probe.vector), using=probe.using)


def _filter(where: Sequence[Condition]) -> edge.Filter:
    must: list[Any] = []
    for condition in where:
        if condition.at_least is not None:
            must.append(
                edge.FieldCondition(
                    key=condition.key, range=edge.RangeFloat(gte=condition.at_least)
                )
            )
        elif condition.any_of is not None:
            must.append(
                edge.FieldCondition(key=condition.key, match=edge.MatchAny(list(condition.any_of)))
            )
        elif isinstance(condition.value, float):
            value = condition.value
            must.append(
                edge.FieldCondition(key=condition.key, range=edge.RangeFloat(gte=value, lte=value))
            )
        else:
            must.append(
                edge.FieldCondition(key=condition.key, match=edge.MatchValue(condition.value))
            )
    return edge.Filter(must=must)


def _check_collection_name(name: str) -> None:
    if not name or name in {".", ".."} or any(c in name for c in "/\\\0"):
        raise ValueError(
            f"collection name {name!r} is not valid: use letters, digits, '-', '_' or '.'"
        )
