from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from splade_rag.documents import Document, read_documents


def _write_jsonl(path: Path, *records: Any) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["notes.txt", "README.md"])
def test_text_file_is_one_document_with_its_path_as_id(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("Paris is the capital of France.\nIt is on the Seine.\n", encoding="utf-8")

    documents = list(read_documents(path))

    assert documents == [
        Document(
            "Paris is the capital of France.\nIt is on the Seine.\n",
            {"source": str(path)},
            id=str(path),
        )
    ]


def test_jsonl_reads_id_title_and_metadata(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "docs.jsonl",
        {"id": "d1", "text": "Paris is the capital.", "metadata": {"lang": "en"}},
        {"_id": 42, "title": "Berlin", "text": "Berlin is the capital of Germany."},
        {"text": "No id here.", "title": ""},
    )

    documents = list(read_documents(path))

    assert documents == [
        Document("Paris is the capital.", {"source": str(path), "lang": "en"}, id="d1"),
        Document(
            "Berlin\nBerlin is the capital of Germany.",
            {"source": str(path), "title": "Berlin"},
            id="42",
        ),
        Document("No id here.", {"source": str(path)}, id=None),
    ]


def test_beir_corpus_line_reads_as_it_is(tmp_path: Path) -> None:
    line = {
        "_id": "MED-10",
        "title": "Statin use and breast cancer",
        "text": "Recent studies have suggested that statins may lower the risk.",
        "metadata": {"url": "http://example.org/med-10"},
    }
    path = _write_jsonl(tmp_path / "corpus.jsonl", line)

    [document] = read_documents(path)

    assert document.id == "MED-10"
    assert document.text == f"{line['title']}\n{line['text']}"
    assert document.metadata == {
        "source": str(path),
        "url": "http://example.org/med-10",
        "title": "Statin use and breast cancer",
    }


def test_folder_reads_supported_files_recursively_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("bee", encoding="utf-8")
    (tmp_path / "a.md").write_text("ay", encoding="utf-8")
    (tmp_path / "skipped.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("sea", encoding="utf-8")
    _write_jsonl(tmp_path / "sub" / "d.jsonl", {"id": "d1", "text": "dee"}, {"text": "dee 2"})

    documents = list(read_documents(tmp_path))

    assert [d.text for d in documents] == ["ay", "bee", "sea", "dee", "dee 2"]
    assert documents[0].id == str(tmp_path / "a.md")
    assert documents[3].metadata["source"] == str(tmp_path / "sub" / "d.jsonl")


def test_missing_path_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no-such\.txt"):
        list(read_documents(tmp_path / "no-such.txt"))


def test_unsupported_suffix_names_the_file_and_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "paper.pdf"
    path.write_bytes(b"%PDF-1.4")

    with pytest.raises(
        ValueError, match=r"paper\.pdf.*unsupported.*\.pdf.*\.txt, \.md or \.jsonl"
    ):
        list(read_documents(path))


def test_non_utf8_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Café au lait".encode("latin-1"))

    with pytest.raises(ValueError, match=r"latin1\.txt: not UTF-8 text"):
        list(read_documents(path))


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ('{"text": "unterminated', "not valid JSON"),
        ('["a list", "not an object"]', "string 'text' field"),
        ('{"id": "x"}', "string 'text' field"),
        ('{"text": 12}', "string 'text' field"),
        ('{"text": "ok", "metadata": ["not", "a", "dict"]}', "'metadata' must be a JSON object"),
    ],
)
def test_bad_jsonl_line_names_the_file_and_line(
    tmp_path: Path, bad_line: str, message: str
) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text(f'{{"text": "fine"}}\n\n{bad_line}\n{{"text": "after"}}\n', encoding="utf-8")

    with pytest.raises(ValueError, match=rf"docs\.jsonl, line 3: .*{message}"):
        list(read_documents(path))


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"text": b"bytes"}, "Document.text"),
        ({"text": "ok", "id": 7}, "Document.id"),
        ({"text": "ok", "metadata": [("a", 1)]}, "Document.metadata"),
    ],
)
def test_document_rejects_wrong_field_types(arguments: dict[str, Any], field: str) -> None:
    with pytest.raises(TypeError, match=field):
        Document(**arguments)
