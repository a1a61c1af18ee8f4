"""The server backend: a Qdrant server or cluster (or qdrant-client's local mode).

The sync `QdrantClient` serves the sync calls; an `AsyncQdrantClient`, when given, serves the
async ones natively. Requests are built once by the functions below for both clients.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from qdrant_client import AsyncQdrantClient, QdrantClient, models

from splade_rag.qdrant.backend import Condition, Found, Point, Probe, Vector
from splade_rag.qdrant.schema import Schema, VectorSpec
from splade_rag.vectors import SparseVector

__all__ = ["ClientBackend"]

logger = logging.getLogger(__name__)

METADATA_KEY = "splade_rag"


class ClientBackend:
    """One collection reached through qdrant-client.

    Calls go straight to the server (no existence check per call, which would cost a round
    trip); `SpladeStore` checks the collection once when it first uses it.

    Args:
        client: a `QdrantClient` (server URL, cluster, or local mode).
        collection: the collection name.
        async_client: an `AsyncQdrantClient` on the same server for the async calls; without
            one they run the sync client in a worker thread.
    """

    def __init__(
        self,
        client: QdrantClient,
        collection: str,
        async_client: AsyncQdrantClient | None = None,
        *,
        owns_clients: bool = False,
    ) -> None:
        self.client = client
        self.async_client = async_client
        self.collection = collection
        self.location = _describe(client)
        self._owns = owns_clients

    def vectors(self) -> dict[str, VectorSpec] | None:
        """The collection's vectors, or None if it does not exist."""
        if not self.client.collection_exists(self.collection):
            return None
        params = self.client.get_collection(self.collection).config.params
        specs = {
            name: VectorSpec(sparse=True, idf=sparse.modifier == models.Modifier.IDF)
            for name, sparse in (params.sparse_vectors or {}).items()
        }
        dense = params.vectors
        if isinstance(dense, models.VectorParams):
            dense = {"": dense}
        for name, vector in (dense or {}).items():
            specs[name] = VectorSpec(sparse=False, size=vector.size)
        return specs

    def create(self, schema: Schema, metadata: Mapping[str, Any]) -> None:
        """Create the collection, recording `metadata` in the collection's own metadata."""
        dense: dict[str, models.VectorParams] = {}
        sparse: dict[str, models.SparseVectorParams] = {}
        for name, spec in schema.vectors().items():
            if spec.sparse:
                modifier = models.Modifier.IDF if spec.idf else None
                sparse[name] = models.SparseVectorParams(modifier=modifier)
            else:
                dense[name] = models.VectorParams(
                    size=int(spec.size or 0), distance=models.Distance.COSINE
                )
        self.client.create_collection(
            self.collection,
            vectors_config=dense,
            sparse_vectors_config=sparse or None,
            metadata={METADATA_KEY: dict(metadata)},
        )
        logger.info("created collection %s on %s", self.collection, self.location)

    def metadata(self) -> dict[str, Any]:
        """The metadata written at creation."""
        stored = self.client.get_collection(self.collection).config.metadata or {}
        return dict(stored.get(METADATA_KEY) or {})

    def upsert(self, points: Sequence[Point]) -> None:
        """Insert or replace points."""
        self.client.upsert(self.collection, points=_points(points), wait=True)

    async def aupsert(self, points: Sequence[Point]) -> None:
        """Async `upsert`."""
        if self.async_client is None:
            await asyncio.to_thread(self.upsert, points)
            return
        await self.async_client.upsert(self.collection, points=_points(points), wait=True)

    def retrieve(
        self, ids: Sequence[str], *, payload: bool = True, vectors: Sequence[str] = ()
    ) -> list[Found]:
        """Existing points among `ids`."""
        if not ids:
            return []
        records = self.client.retrieve(
            self.collection,
            list(ids),
            with_payload=payload,
            with_vectors=list(vectors) if vectors else False,
        )
        return [_found(record.id, 0.0, record.payload, record.vector) for record in records]

    async def aretrieve(
        self, ids: Sequence[str], *, payload: bool = True, vectors: Sequence[str] = ()
    ) -> list[Found]:
        """Async `retrieve`."""
        if self.async_client is None or not ids:
            return await asyncio.to_thread(self.retrieve, ids, payload=payload, vectors=vectors)
        records = await self.async_client.retrieve(
            self.collection,
            list(ids),
            with_payload=payload,
            with_vectors=list(vectors) if vectors else False,
        )
        return [_found(record.id, 0.0, record.payload, record.vector) for record in records]

    def delete(self, ids: Sequence[str] = (), where: Sequence[Condition] = ()) -> None:
        """Delete points by id and/or by filter."""
        if ids:
            selector = models.PointIdsList(points=list(ids))
            self.client.delete(self.collection, points_selector=selector, wait=True)
        if where:
            by_filter = models.FilterSelector(filter=_filter(where))
            self.client.delete(self.collection, points_selector=by_filter, wait=True)

    def count(self, where: Sequence[Condition] = ()) -> int:
        """Exact number of points (matching `where`)."""
        condition = _filter(where) if where else None
        return self.client.count(self.collection, count_filter=condition, exact=True).count

    def scroll(
        self, where: Sequence[Condition], limit: int, offset: str | None
    ) -> tuple[list[Found], str | None]:
        """A page of points and the next page's offset."""
        records, following = self.client.scroll(
            self.collection,
            scroll_filter=_filter(where) if where else None,
            limit=limit,
            offset=offset,
            with_payload=True,
            with_vectors=False,
        )
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
        requests = _requests(
            probes,
            limit=limit,
            where=where,
            fusion=fusion,
            rrf_k=rrf_k,
            weights=weights,
            score_threshold=score_threshold,
            payload=payload,
        )
        batches = self.client.query_batch_points(self.collection, requests=requests)
        return [[_found(p.id, p.score, p.payload, None) for p in b.points] for b in batches]

    async def asearch(
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
        """Async `search`."""
        options: dict[str, Any] = {
            "limit": limit,
            "where": where,
            "fusion": fusion,
            "rrf_k": rrf_k,
            "weights": weights,
            "score_threshold": score_threshold,
            "payload": payload,
        }
        if self.async_client is None:
            return await asyncio.to_thread(lambda: self.search(probes, **options))
        requests = _requests(
            probes,
            limit=limit,
            where=where,
            fusion=fusion,
            rrf_k=rrf_k,
            weights=weights,
            score_threshold=score_threshold,
            payload=payload,
        )
        batches = await self.async_client.query_batch_points(self.collection, requests=requests)
        return [[_found(p.id, p.score, p.payload, None) for p in b.points] for b in batches]

    def optimize(self) -> bool:
        """Nothing to do: a server's optimizer indexes in the background; local mode scans."""
        return False

    def close(self) -> None:
        """Close the clients this backend opened itself (not those handed to it)."""
        if self._owns:
            self.client.close()

    async def aclose(self) -> None:
        """Close both clients, when this backend opened them."""
        self.close()
        if self._owns and self.async_client is not None:
            await self.async_client.close()

    def drop(self) -> None:
        """Delete the collection."""
        self.client.delete_collection(self.collection)


def _requests(
    probes: Sequence[Probe],
    *,
    limit: int,
    where: Sequence[Condition],
    fusion: Literal["rrf", "dbsf"] | None,
    rrf_k: int,
    weights: Sequence[float] | None,
    score_threshold: float | None,
    payload: bool,
) -> list[models.QueryRequest]:
    condition = _filter(where) if where else None
    requests = [
        models.QueryRequest(
            query=_query_vector(probe.vector),
            using=probe.using,
            limit=probe.limit,
            filter=condition,
            with_payload=payload,
            score_threshold=score_threshold if fusion is None else None,
        )
        for probe in probes
    ]
    if fusion is None:
        return requests
    prefetch = [
        models.Prefetch(
            query=_query_vector(p.vector), using=p.using, limit=p.limit, filter=condition
        )
        for p in probes
    ]
    scoring: models.FusionQuery | models.RrfQuery
    if fusion == "dbsf":
        scoring = models.FusionQuery(fusion=models.Fusion.DBSF)
    elif rrf_k == 2 and weights is None:
        scoring = models.FusionQuery(fusion=models.Fusion.RRF)  # understood by every server
    else:
        scoring = models.RrfQuery(rrf=models.Rrf(k=rrf_k, weights=list(weights or []) or None))
    requests.append(
        models.QueryRequest(
            prefetch=prefetch,
            query=scoring,
            limit=limit,
            filter=condition,
            with_payload=payload,
            score_threshold=score_threshold,
        )
    )
    return requests


def _query_vector(vector: Vector) -> Any:
    if isinstance(vector, SparseVector):
        return models.SparseVector(indices=vector.indices.tolist(), values=vector.values.tolist())
    return np.asarray(vector, dtype=np.float32).tolist()


def _points(points: Sequence[Point]) -> list[models.PointStruct]:
    return [
        models.PointStruct(
            id=point.id,
            vector={name: _query_vector(v) for name, v in point.vectors.items()},
            payload=dict(point.payload),
        )
        for point in points
    ]


def _found(point_id: Any, score: float, payload: Any, vectors: Any) -> Found:
    stored: dict[str, Vector] = {}
    if isinstance(vectors, dict):
        for name, vector in vectors.items():
            if isinstance(vector, models.SparseVector):
                stored[name] = SparseVector.from_pairs(vector.indices, vector.values)
            else:
                stored[name] = np.asarray(vector, dtype=np.float32)
    return Found(str(point_id), float(score), payload, stored)


def _filter(where: Sequence[Condition]) -> models.Filter:
    must: list[models.Condition] = []
    for condition in where:
        if condition.at_least is not None:
            must.append(
                models.FieldCondition(
                    key=condition.key, range=models.Range(gte=condition.at_least)
                )
            )
        elif condition.any_of is not None:
            must.append(
                models.FieldCondition(
                    key=condition.key, match=models.MatchAny(any=list(condition.any_of))
                )
            )
        elif isinstance(condition.value, float):
            value = condition.value
            must.append(
                models.FieldCondition(key=condition.key, range=models.Range(gte=value, lte=value))
            )
        else:
            must.append(
                models.FieldCondition(
                    key=condition.key, match=models.MatchValue(value=condition.value)
                )
            )
    return models.Filter(must=must)


def _describe(client: QdrantClient) -> str:
    """Where a client points, for messages."""
    inner = getattr(client, "_client", None)
    location = getattr(inner, "location", None) or getattr(inner, "rest_uri", None)
    return str(location or "a Qdrant server")
