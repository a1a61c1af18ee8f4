from __future__ import annotations

import json
import re
from typing import Any

import pytest

from splade_rag.errors import SchemaMismatchError
from splade_rag.qdrant.payload import build_payload, metadata_path, read_payload
from splade_rag.qdrant.schema import PRESETS, Schema, VectorSpec, check_schema

SPARSE = VectorSpec(sparse=True)
SPARSE_IDF = VectorSpec(sparse=True, idf=True)
POINT_ID = "3f2a6c1e-0000-4000-8000-000000000001"
METADATA: dict[str, Any] = {"title": "France", "chunk_start": 0, "chunk_end": 21, "n": 1}


def _shown(message: str, line: str) -> dict[str, str]:
    """The vectors a mismatch message shows on its `asked:` or `found:` line."""
    match = re.search(rf"^\s*{line}: (.*)$", message, re.MULTILINE)
    assert match is not None, message
    shown: dict[str, str] = json.loads(match.group(1))
    return shown


def test_langchain_preset_matches_langchain_qdrant() -> None:
    schema = PRESETS["langchain"].with_dense_size(384)

    assert schema.vectors() == {
        "langchain-sparse": SPARSE,
        "": VectorSpec(sparse=False, size=384),
    }
    assert (schema.text_key, schema.metadata_key, schema.layout) == (
        "page_content",
        "metadata",
        "nested",
    )


def test_llamaindex_preset_matches_llama_index_qdrant() -> None:
    schema = PRESETS["llamaindex"].with_dense_size(384)

    assert schema.vectors() == {
        "text-sparse-new": SPARSE,
        "text-dense": VectorSpec(sparse=False, size=384),
    }
    assert schema.layout == "llama-node"


def test_vectors_leave_dense_out_until_a_size_is_set() -> None:
    schema = Schema()

    assert schema.dense_name is None
    assert schema.vectors() == {"splade": SPARSE, "bm25": SPARSE_IDF}
    assert schema.with_dense_size(8).vectors() == {
        "splade": SPARSE,
        "bm25": SPARSE_IDF,
        "dense": VectorSpec(sparse=False, size=8),
    }
    assert Schema(sparse_idf=True, bm25=None).vectors() == {"splade": SPARSE_IDF}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sparse": "same", "bm25": "same"}, "vector names must differ"),
        ({"dense": "same", "bm25": "same", "dense_size": 4}, "vector names must differ"),
        ({"sparse": None, "bm25": None}, "at least one vector"),
        ({"dense_size": 0}, "dense_size must be >= 1"),
        ({"layout": "flat"}, "layout must be one of nested, llama-node"),
    ],
)
def test_invalid_schemas_are_rejected(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Schema(**options)


def test_check_schema_accepts_vectors_beyond_those_asked_for() -> None:
    wanted = Schema().with_dense_size(4)
    found = {**wanted.vectors(), "someone-else": VectorSpec(sparse=False, size=1024)}

    check_schema("docs", wanted, found)


def test_check_schema_names_a_missing_vector() -> None:
    wanted = Schema().with_dense_size(4)
    found = {"splade": SPARSE, "dense": VectorSpec(sparse=False, size=4)}

    with pytest.raises(SchemaMismatchError, match="'docs'") as raised:
        check_schema("docs", wanted, found)

    message = str(raised.value)
    assert _shown(message, "asked") == {
        "splade": "sparse",
        "bm25": "sparse+idf",
        "dense": "dense(4, cosine)",
    }
    assert _shown(message, "found") == {"splade": "sparse", "dense": "dense(4, cosine)"}


def test_check_schema_names_a_different_dense_size() -> None:
    wanted = Schema(bm25=None).with_dense_size(384)
    found = {"splade": SPARSE, "dense": VectorSpec(sparse=False, size=768)}

    with pytest.raises(SchemaMismatchError) as raised:
        check_schema("docs", wanted, found)

    assert _shown(str(raised.value), "asked")["dense"] == "dense(384, cosine)"
    assert _shown(str(raised.value), "found")["dense"] == "dense(768, cosine)"


@pytest.mark.parametrize(
    ("wanted", "found"),
    [
        (Schema(), {"splade": SPARSE, "bm25": SPARSE}),
        (Schema(sparse_idf=True), {"splade": SPARSE, "bm25": SPARSE_IDF}),
    ],
)
def test_check_schema_names_a_different_idf_modifier(
    wanted: Schema, found: dict[str, VectorSpec]
) -> None:
    with pytest.raises(SchemaMismatchError) as raised:
        check_schema("docs", wanted, found)

    asked, shown = _shown(str(raised.value), "asked"), _shown(str(raised.value), "found")
    assert asked != shown
    assert asked == {name: spec.describe() for name, spec in wanted.vectors().items()}
    assert shown == {name: spec.describe() for name, spec in found.items()}


@pytest.mark.parametrize("preset", ["default", "langchain", "llamaindex"])
def test_payload_round_trips(preset: str) -> None:
    schema = PRESETS[preset]

    payload = build_payload(schema, POINT_ID, "Paris is the capital.", METADATA, "doc-1")

    assert read_payload(schema, payload) == ("Paris is the capital.", METADATA)
    assert read_payload(schema, None) == ("", {})


def test_nested_payload_uses_the_schema_keys() -> None:
    payload = build_payload(PRESETS["langchain"], POINT_ID, "text", {"a": 1}, "doc-1")

    assert payload == {"page_content": "text", "metadata": {"a": 1}}
    assert metadata_path(PRESETS["langchain"], "a") == "metadata.a"


def test_llama_node_payload_is_flat_metadata_plus_the_node() -> None:
    schema = PRESETS["llamaindex"]

    payload = build_payload(schema, POINT_ID, "Paris is the capital.", METADATA, "doc-1")

    assert {key: payload[key] for key in METADATA} == METADATA
    node = json.loads(payload["_node_content"])
    assert node["text"] == "Paris is the capital."
    assert node["id_"] == POINT_ID
    assert node["metadata"] == METADATA
    assert payload["_node_type"] == "TextNode"
    assert payload["doc_id"] == payload["ref_doc_id"] == payload["document_id"] == "doc-1"
    assert metadata_path(schema, "title") == "title"


def test_llama_index_reads_our_node_payload() -> None:
    utils = pytest.importorskip("llama_index.core.vector_stores.utils")
    from llama_index.core.schema import TextNode

    payload = build_payload(
        PRESETS["llamaindex"], POINT_ID, "Paris is the capital.", METADATA, "doc-1"
    )

    node = utils.metadata_dict_to_node(payload)

    assert isinstance(node, TextNode)
    assert node.text == "Paris is the capital."
    assert node.metadata == METADATA
    assert node.ref_doc_id == "doc-1"
    assert node.node_id == POINT_ID
    assert (node.start_char_idx, node.end_char_idx) == (0, 21)
