"""An ingest killed mid-way finishes with exactly the right points when run again."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from splade_rag.documents import Document
from splade_rag.encoder import SpladeEncoder
from splade_rag.ingest import point_id
from splade_rag.store import SpladeStore

DOCUMENTS = [
    Document(f"Document number {n} talks about topic {n % 7} and item {n * 13}.", id=f"d{n}")
    for n in range(40)
]


def test_resume_after_a_killed_ingest(tmp_path: Path, splade_tiny_path: Path) -> None:
    killer = textwrap.dedent(
        f"""
        import os, signal
        from splade_rag.documents import Document
        from splade_rag.encoder import SpladeEncoder
        from splade_rag.store import SpladeStore

        docs = [
            Document(f"Document number {{n}} talks about topic {{n % 7}} and item {{n * 13}}.",
                     id=f"d{{n}}")
            for n in range(40)
        ]
        store = SpladeStore({str(tmp_path / "store")!r},
                            encoder=SpladeEncoder({str(splade_tiny_path)!r}), batch_size=4)
        upsert, calls = store.backend.upsert, []

        def upsert_then_die(points):
            upsert(points)
            calls.append(len(points))
            if len(calls) == 3:
                os.kill(os.getpid(), signal.SIGKILL)

        store.backend.upsert = upsert_then_die
        store.add_documents(docs)
        """
    )
    killed = subprocess.run(
        [sys.executable, "-c", killer], capture_output=True, timeout=300, check=False
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]

    with SpladeStore(tmp_path / "store", encoder=SpladeEncoder(splade_tiny_path)) as store:
        assert store.count() == 12  # three batches of four made it before the kill
        report = store.add_documents(DOCUMENTS)

        assert report.unchanged == 12
        assert report.written == len(DOCUMENTS) - 12
        assert store.count() == len(DOCUMENTS)
        stored = {hit.id for hit in store.list_points(limit=100)[0]}
        assert stored == {point_id(f"d{n}", 0) for n in range(40)}
        assert store.search("item 130", mode="bm25", top_k=1)[0].metadata["doc_id"] == "d10"
