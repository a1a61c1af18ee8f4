from __future__ import annotations

import json
from pathlib import Path

import pytest

from splade_rag.cli import main


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])

    assert exited.value.code == 0
    out = capsys.readouterr().out
    for command in ("encode", "demo", "index", "search"):
        assert f"    {command} " in out


def test_encode_prints_terms(capsys: pytest.CaptureFixture[str], splade_tiny_path: Path) -> None:
    status = main(
        [
            "encode",
            "what is the capital of france",
            "--query",
            "--model",
            str(splade_tiny_path),
            "--top-k",
            "3",
        ]
    )

    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert lines[0].startswith("3 terms")
    assert [line.split()[1] for line in lines[1:]] == ["capital", "france", "french"]


def test_encode_json(capsys: pytest.CaptureFixture[str], splade_tiny_path: Path) -> None:
    status = main(["encode", "the capital of france", "--json", "--model", str(splade_tiny_path)])

    payload = json.loads(capsys.readouterr().out)
    assert status == 0
    assert len(payload["indices"]) == len(payload["values"]) == len(payload["terms"])
    assert payload["indices"] == sorted(payload["indices"])
    assert "capital" in payload["terms"]


def test_demo_indexes_the_sample_and_finds_the_right_documents(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, splade_tiny_path: Path
) -> None:
    store = str(tmp_path / "store")
    status = main(["demo", "--store", store, "--model", str(splade_tiny_path), "--top-k", "1"])

    out = capsys.readouterr().out
    assert status == 0
    assert "Indexed 24 sample documents" in out
    hits = [line.split()[1] for line in out.splitlines() if line.startswith("  1. ")]
    assert hits == ["paris", "solar-panels", "sourdough"]
    assert "matched: capital" in out

    assert main(["demo", "--store", store, "--model", str(splade_tiny_path)]) == 0
    assert "0 written, 24 already there" in capsys.readouterr().out


def test_index_then_search(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, splade_tiny_path: Path
) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "bread.md").write_text("Sourdough bread rises with wild yeast and bacteria.")
    (corpus / "more.jsonl").write_text(
        '{"id": "p", "title": "Paris", "text": "Paris is the capital of France.",'
        ' "metadata": {"lang": "en"}}\n'
        '{"id": "b", "text": "Berlin is the capital of Germany.", "metadata": {"lang": "de"}}\n'
    )
    store = ["--store", str(tmp_path / "store"), "--model", str(splade_tiny_path)]

    assert main(["index", str(corpus), *store]) == 0
    assert "indexed 3 documents as 3 chunks" in capsys.readouterr().out

    assert main(["search", "capital of france", *store, "--json", "--top-k", "2"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert [hit["metadata"]["doc_id"] for hit in hits] == ["p", "b"]
    assert set(hits[0]["scores"]) == {"sparse", "bm25", "dense"}
    assert hits[0]["explanation"][0][0] == "capital"

    assert main(["search", "capital", *store, "--filter", "lang=de", "--mode", "bm25"]) == 0
    out = capsys.readouterr().out
    assert "  1. b " in out and "  2." not in out

    assert main(["search", "yeast", *store, "--mode", "sparse", "--explain"]) == 0
    assert "matched: yeast" in capsys.readouterr().out


def test_search_errors_are_clean(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, splade_tiny_path: Path
) -> None:
    store = ["--store", str(tmp_path / "store"), "--model", str(splade_tiny_path)]
    doc = tmp_path / "a.txt"
    doc.write_text("Paris is the capital of France.")

    assert main(["search", "capital", *store]) == 1
    assert "does not exist" in capsys.readouterr().err

    assert main(["index", str(doc), *store, "--no-dense"]) == 0
    capsys.readouterr()
    assert main(["search", "capital", *store, "--mode", "dense"]) == 1
    assert "has no dense vectors" in capsys.readouterr().err


def test_index_reports_a_malformed_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, splade_tiny_path: Path
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "a", "text": "fine"}\n{"id": "b"}\n')

    status = main(
        ["index", str(corpus), "--store", str(tmp_path / "s"), "--model", str(splade_tiny_path)]
    )

    assert status == 1
    assert "corpus.jsonl, line 2" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_unreachable_model_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["encode", "hello", "--model", "naver/no-such-splade-model"])

    err = capsys.readouterr().err
    assert status == 1
    assert "could not be downloaded" in err and "Traceback" not in err
