"""Documents to index, and reading them from `.txt`, `.md` and `.jsonl` files."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["TEXT_SUFFIXES", "Document", "parse_json_line", "read_documents"]

TEXT_SUFFIXES = (".txt", ".md")


@dataclass(frozen=True)
class Document:
    """A text to index, with metadata and an optional stable id.

    Without an id, the text itself identifies the document, so re-ingesting the same text
    updates it in place rather than adding a copy.
    """

    text: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise TypeError(f"Document.text must be a str, got {type(self.text).__name__}")
        if not isinstance(self.metadata, Mapping):
            raise TypeError(
                f"Document.metadata must be a mapping, got {type(self.metadata).__name__}"
            )
        if self.id is not None and not isinstance(self.id, str):
            raise TypeError(f"Document.id must be a str or None, got {type(self.id).__name__}")


def read_documents(path: str | Path) -> Iterator[Document]:
    """Read the documents of one file, or of every `.txt`, `.md` and `.jsonl` file in a folder.

    A `.txt` or `.md` file is one document, with its path as id. A `.jsonl` file holds one JSON
    object a line with `text` and optionally `id` (or BEIR's `_id`), `title` and `metadata`;
    a BEIR `corpus.jsonl` reads as it is.

    Raises:
        FileNotFoundError: the path does not exist.
        ValueError: a file is not UTF-8 text, has an unsupported suffix, or a line is not a
            JSON object with a string `text`; the message names the file and line.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and p.suffix in (*TEXT_SUFFIXES, ".jsonl")
        )
        for file in files:
            yield from read_documents(file)
        return
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.suffix in TEXT_SUFFIXES:
        yield Document(_read_text(path), {"source": str(path)}, id=str(path))
    elif path.suffix == ".jsonl":
        yield from _read_jsonl(path)
    else:
        raise ValueError(
            f"{path}: unsupported file type {path.suffix or '(none)'}; use .txt, .md or .jsonl"
        )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start})"
        ) from error
    except OSError as error:
        raise ValueError(f"{path}: cannot be read ({error.strerror})") from error


def parse_json_line(path: Path, number: int, line: str) -> Any:
    """The JSON value of one line of a JSON-lines file; a `ValueError` names file and line."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}, line {number}: not valid JSON ({error.msg})") from error


def _read_jsonl(path: Path) -> Iterator[Document]:
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        record = parse_json_line(path, number, line)
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise ValueError(
                f"{path}, line {number}: expected a JSON object with a string 'text' field"
            )
        metadata = record.get("metadata", {})
        if not isinstance(metadata, dict):
            raise ValueError(f"{path}, line {number}: 'metadata' must be a JSON object")
        title = record.get("title")
        text = f"{title}\n{record['text']}" if isinstance(title, str) and title else record["text"]
        identifier = record.get("id", record.get("_id"))
        metadata = {"source": str(path), **metadata}
        if isinstance(title, str) and title:
            metadata.setdefault("title", title)
        yield Document(text, metadata, id=None if identifier is None else str(identifier))
