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
    for command in ("encode", "demo"):
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


def test_demo_finds_the_right_documents(
    capsys: pytest.CaptureFixture[str], splade_tiny_path: Path
) -> None:
    status = main(["demo", "--model", str(splade_tiny_path), "--top-k", "1"])

    out = capsys.readouterr().out
    assert status == 0
    hits = [line.split()[1] for line in out.splitlines() if line.startswith("  1. ")]
    assert hits == ["paris", "solar-panels", "sourdough"]
    assert "matched: capital" in out


def test_demo_reports_a_malformed_corpus_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, splade_tiny_path: Path
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "a", "text": "fine"}\n{"id": "b"}\n')

    status = main(["demo", "--corpus", str(corpus), "--model", str(splade_tiny_path)])

    assert status == 1
    assert "corpus.jsonl, line 2" in capsys.readouterr().err


def test_unreachable_model_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["encode", "hello", "--model", "naver/no-such-splade-model"])

    err = capsys.readouterr().err
    assert status == 1
    assert "could not be downloaded" in err and "Traceback" not in err
