"""Point payloads in the layouts of splade-rag, LangChain and LlamaIndex."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from splade_rag.qdrant.schema import Schema

__all__ = ["build_payload", "metadata_path", "read_payload"]

# LlamaIndex's node payload: the node as JSON plus copies of the source document id
NODE_CONTENT = "_node_content"
NODE_TYPE = "_node_type"
NODE_DOC_KEYS = ("document_id", "doc_id", "ref_doc_id")
LLAMA_SOURCE_RELATION = "1"  # NodeRelationship.SOURCE
LLAMA_DOCUMENT_TYPE = "4"  # ObjectType.DOCUMENT


def build_payload(
    schema: Schema, point_id: str, text: str, metadata: Mapping[str, Any], source_id: str
) -> dict[str, Any]:
    """The payload of one point holding `text` with `metadata`."""
    if schema.layout == "nested":
        return {schema.text_key: text, schema.metadata_key: dict(metadata)}

    node: dict[str, Any] = {
        "id_": point_id,
        "embedding": None,
        "metadata": dict(metadata),
        "excluded_embed_metadata_keys": [],
        "excluded_llm_metadata_keys": [],
        "relationships": {
            LLAMA_SOURCE_RELATION: {
                "node_id": source_id,
                "node_type": LLAMA_DOCUMENT_TYPE,
                "metadata": {},
                "hash": None,
                "class_name": "RelatedNodeInfo",
            }
        },
        "text": text,
        "mimetype": "text/plain",
        "start_char_idx": metadata.get("chunk_start"),
        "end_char_idx": metadata.get("chunk_end"),
        "metadata_template": "{key}: {value}",
        "metadata_separator": "\n",
        "text_template": "{metadata_str}\n\n{content}",
        "class_name": "TextNode",
    }
    payload = dict(metadata)
    payload[NODE_CONTENT] = json.dumps(node, ensure_ascii=False)
    payload[NODE_TYPE] = "TextNode"
    for key in NODE_DOC_KEYS:
        payload[key] = source_id
    return payload


def read_payload(schema: Schema, payload: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """The text and metadata of a stored point, whichever tool wrote it."""
    payload = payload or {}
    if schema.layout == "nested":
        metadata = payload.get(schema.metadata_key)
        return str(payload.get(schema.text_key, "")), dict(metadata or {})

    content = payload.get(NODE_CONTENT)
    node = json.loads(content) if isinstance(content, str) else {}
    hidden = {NODE_CONTENT, NODE_TYPE, *NODE_DOC_KEYS}
    metadata = {key: value for key, value in payload.items() if key not in hidden}
    return str(node.get("text", "")), metadata


def metadata_path(schema: Schema, key: str) -> str:
    """The payload path that filters on metadata field `key`."""
    return f"{schema.metadata_key}.{key}" if schema.layout == "nested" else key
