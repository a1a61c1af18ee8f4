from __future__ import annotations

import subprocess
import sys
from importlib import resources

import splade_rag


def test_import_does_not_load_torch_or_transformers() -> None:
    code = (
        "import sys, splade_rag, splade_rag.vectors, splade_rag.train; "
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


def test_public_names_resolve() -> None:
    for name in splade_rag.__all__:
        assert getattr(splade_rag, name).__name__ == name


def test_package_ships_its_type_marker_and_sample_corpus() -> None:
    files = resources.files("splade_rag")
    assert files.joinpath("py.typed").is_file()
    assert len(files.joinpath("data/sample_corpus.jsonl").read_text().splitlines()) >= 20


def test_training_names_resolve() -> None:
    import splade_rag.train

    for name in splade_rag.train.__all__:
        assert getattr(splade_rag.train, name).__name__ == name
