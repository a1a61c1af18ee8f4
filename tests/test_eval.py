"""Evaluation: BEIR reading, modes, metrics, the cached index, tuning and the eval command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from splade_rag.bm25 import Bm25Encoder
from splade_rag.cli import main
from splade_rag.encoder import SpladeEncoder
from splade_rag.eval import (
    IndexSettings,
    evaluate,
    load_beir,
    markdown,
    parse_mode,
    score_run,
)
from splade_rag.eval.beir import BeirData
from splade_rag.eval.bench import write_section
from splade_rag.eval.modes import default_modes
from splade_rag.eval.runner import hold_out
from tests.sample_beir import QUERIES, write_beir


@pytest.fixture
def beir(tmp_path: Path) -> Path:
    return write_beir(tmp_path / "sample")


@pytest.fixture
def settings(splade_tiny_path: Path, minilm) -> IndexSettings:
    return IndexSettings(model=str(splade_tiny_path), dense_model=minilm.model_name)


def test_load_beir_reads_corpus_queries_and_judgements(beir: Path) -> None:
    data = load_beir(beir)
    assert len(data.documents) == 24
    assert data.queries["q-paris"] == "which city is the capital of france"
    assert data.qrels["q-bread"] == {"sourdough": 1}
    assert data.splits == ["test"]


def test_unknown_documents_and_queries_are_counted_not_fatal(beir: Path) -> None:
    with (beir / "qrels" / "test.tsv").open("a", encoding="utf-8") as qrels:
        qrels.write("q-paris\tno-such-doc\t1\nno-such-query\tparis\t1\n")
    data = load_beir(beir)
    assert (data.unknown_documents, data.unknown_queries) == (1, 1)
    assert data.qrels["q-paris"] == {"paris": 1}


def test_missing_split_names_the_splits_there(beir: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no split 'dev'.*test"):
        load_beir(beir, "dev")


def test_missing_files_are_named(tmp_path: Path, beir: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such folder"):
        load_beir(tmp_path / "nowhere")
    (beir / "queries.jsonl").unlink()
    with pytest.raises(FileNotFoundError, match=r"queries\.jsonl: missing"):
        load_beir(beir)


def test_malformed_lines_name_file_and_line(beir: Path) -> None:
    with (beir / "queries.jsonl").open("a", encoding="utf-8") as queries:
        queries.write("{not json\n")
    with pytest.raises(ValueError, match=r"queries\.jsonl, line 9: not valid JSON"):
        load_beir(beir)

    (beir / "queries.jsonl").write_text('{"_id": "q", "text": "x"}\n', encoding="utf-8")
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq\tparis\n")
    with pytest.raises(ValueError, match=r"test\.tsv, line 2: expected query-id"):
        load_beir(beir)


@pytest.mark.parametrize(
    ("name", "arms", "fusion"),
    [
        ("sparse", ("sparse",), None),
        ("bm25+dense", ("bm25", "dense"), "dbsf"),
        ("bm25+dense:rrf", ("bm25", "dense"), "rrf"),
        ("sparse+bm25+dense:dbsf", ("sparse", "bm25", "dense"), "dbsf"),
        ("bm25s", (), None),
    ],
)
def test_mode_names(name: str, arms: tuple[str, ...], fusion: str | None) -> None:
    mode = parse_mode(name)
    assert mode.arms == arms
    assert mode.options.get("fusion") == fusion


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("splade", "unknown arm 'splade'"),
        ("bm25+bm25", "names an arm twice"),
        ("bm25+dense:mean", "unknown fusion 'mean'"),
        ("dense:rrf", "single arm takes no fusion"),
    ],
)
def test_bad_mode_names_are_refused(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_mode(name)


def test_default_modes_cover_every_hybrid_and_fusion() -> None:
    names = [m.name for m in default_modes()]
    assert names[:5] == ["sparse", "bm25", "dense", "bm25s", "hybrid"]
    assert len(names) == 5 + 4 * 3


def test_metrics_match_a_hand_computation() -> None:
    qrels = {"a": {"d1": 1, "d2": 2}, "b": {"d3": 1}}
    run = {"a": {"d2": 3.0, "x": 2.0, "d1": 1.0}}  # b retrieves nothing: it must count as 0
    scores = score_run(qrels, run)

    # trec_eval's nDCG, as BEIR reports it: the grade itself is the gain
    ideal = 2 / math.log2(2) + 1 / math.log2(3)
    ndcg_a = (2 / math.log2(2) + 1 / math.log2(4)) / ideal
    assert scores.per_query["a"]["nDCG@10"] == pytest.approx(ndcg_a)
    assert scores.per_query["b"]["nDCG@10"] == 0.0
    assert scores.mean["nDCG@10"] == pytest.approx(ndcg_a / 2)
    assert scores.mean["RR@10"] == pytest.approx(0.5)
    assert scores.mean["R@100"] == pytest.approx(0.5)


def test_hold_out_never_reports_a_tuning_query(beir: Path) -> None:
    data = load_beir(beir)
    tuning, reported = hold_out(data, 0.5)
    assert not set(tuning) & set(reported)
    assert sorted(tuning + reported) == sorted(data.queries)
    assert hold_out(data, 0.5) == (tuning, reported)  # deterministic
    with pytest.raises(ValueError, match="between 0 and 1"):
        hold_out(data, 1.0)


def test_document_length_counts_bm25_tokens() -> None:
    encoder = Bm25Encoder()
    assert encoder.document_length("the cats are running running quickly") == 4
    assert encoder.document_length("") == 0


def test_evaluation_runs_every_mode_and_finds_the_relevant_documents(
    beir: Path, settings: IndexSettings, tmp_path: Path
) -> None:
    report = evaluate(beir, settings=settings, cache=tmp_path / "cache")

    assert [r.name for r in report.rows] == [m.name for m in default_modes()]
    for name in ("sparse", "bm25", "dense", "bm25s", "hybrid"):
        assert report.row(name).scores.mean["nDCG@10"] > 0.6, name
    assert report.best_single in ("sparse", "bm25", "dense")
    assert report.row(report.best_single).p_value is None
    assert all(r.p_value is not None for r in report.rows if r.name != report.best_single)
    assert "| **" + report.best_single + "** |" in markdown(report)


def test_second_evaluation_encodes_nothing(
    beir: Path, settings: IndexSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = evaluate(beir, modes=["sparse", "dense"], settings=settings, cache=tmp_path)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached evaluation encoded again")

    monkeypatch.setattr(SpladeEncoder, "__init__", refuse)
    monkeypatch.setattr("splade_rag.dense.DenseEncoder.__init__", refuse)
    again = evaluate(
        beir, modes=["sparse", "dense", "bm25+dense:convex"], settings=settings, cache=tmp_path
    )
    assert again.row("sparse").scores.mean == first.row("sparse").scores.mean
    assert again.row("dense").scores.mean == first.row("dense").scores.mean


def test_store_bm25_agrees_with_the_bm25s_reference(
    beir: Path, settings: IndexSettings, tmp_path: Path
) -> None:
    report = evaluate(beir, modes=["bm25", "bm25s"], settings=settings, cache=tmp_path)
    bm25, reference = (report.row(n).scores.mean["nDCG@10"] for n in ("bm25", "bm25s"))
    assert abs(bm25 - reference) < 0.1


def test_tuning_uses_the_train_split_when_there_is_one(
    tmp_path: Path, settings: IndexSettings
) -> None:
    folder = write_beir(tmp_path / "with-train", train=True)
    report = evaluate(
        folder, modes=["bm25", "bm25+dense"], settings=settings, tune=True, cache=tmp_path
    )
    assert report.queries == len(QUERIES)
    assert [t.arms for t in report.tuning] == [("bm25", "dense")]
    tuned = report.row("tuned:bm25+dense")
    assert tuned.mode.options["fusion"] in ("rrf", "dbsf", "convex")
    assert "tuned on the 4 train queries" in report.notes


def test_tuning_without_train_split_reports_only_held_out_queries(
    beir: Path, settings: IndexSettings, tmp_path: Path
) -> None:
    report = evaluate(
        beir, modes=["sparse", "sparse+bm25"], settings=settings, tune=True, cache=tmp_path
    )
    assert report.queries == len(QUERIES) // 2
    assert all(len(r.scores.per_query) == report.queries for r in report.rows)
    assert any("held-out" in note for note in report.notes)


def test_modes_need_their_arms(beir: Path, settings: IndexSettings, tmp_path: Path) -> None:
    no_dense = IndexSettings(model=settings.model, dense=False)
    with pytest.raises(ValueError, match="needs the dense arm"):
        evaluate(beir, modes=["dense"], settings=no_dense, cache=tmp_path)


def test_precomputed_query_vectors_give_the_same_hits(
    beir: Path, settings: IndexSettings, tmp_path: Path
) -> None:
    from splade_rag.eval.index import EvalIndex

    index = EvalIndex(load_beir(beir), settings, cache=tmp_path)
    store = index.store()
    query = QUERIES["q-paris"][0]
    vectors = index.query_vectors({"q": query})["q"]
    for mode in ("sparse", "dense", "hybrid"):
        given = store.search(query, mode=mode, query_vectors=vectors)
        assert [h.id for h in given] == [h.id for h in store.search(query, mode=mode)]
    with pytest.raises(TypeError, match=r"query_vectors\['sparse'\]"):
        store.search(query, mode="sparse", query_vectors={"sparse": np.ones(3)})
    index.close()


def test_cli_eval_json_and_report(
    beir: Path, settings: IndexSettings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options = ["--model", str(settings.model), "--dense-model", str(settings.dense_model)]
    status = main(
        [
            "eval",
            str(beir),
            "--modes",
            "sparse,bm25s,bm25+dense:dbsf",
            *options,
            "--cache",
            str(tmp_path / "cache"),
            "--json",
            "--report",
            str(tmp_path / "report"),
        ]
    )
    assert status == 0
    rows = json.loads(capsys.readouterr().out)[0]["rows"]
    assert [r["mode"] for r in rows] == ["sparse", "bm25s", "bm25+dense:dbsf"]
    report = (tmp_path / "report" / "report.md").read_text()
    assert report.count("| bm25s |") == 1
    assert "Command: `splade-rag eval " in report
    assert (tmp_path / "report" / "sample-modes.png").stat().st_size > 1000

    assert main(["eval", str(beir), "--split", "dev", *options]) == 1
    assert "no split 'dev'" in capsys.readouterr().err


def test_bench_section_replaces_its_earlier_self(tmp_path: Path) -> None:
    from splade_rag.eval.bench import BenchResult

    result = BenchResult("sample", 10, 3, {"batch size": 32}, {"SPLADE docs/s": 12.5})
    result.latency["sparse"] = (0.3, 0.5, 5.0, 6.0)
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\n## other\n\nkept\n", encoding="utf-8")
    write_section(result, path, "splade-rag bench x")
    write_section(result, path, "splade-rag bench x")
    text = path.read_text(encoding="utf-8")
    assert text.count("## `splade-rag bench` on sample") == 1
    assert "kept" in text
    assert "| sparse | 0.30 | 0.50 | 5.00 | 6.00 |" in text


def test_beir_data_digest_follows_the_corpus(beir: Path) -> None:
    data: BeirData = load_beir(beir)
    before = data.corpus_digest()
    with (beir / "corpus.jsonl").open("a", encoding="utf-8") as corpus:
        corpus.write(json.dumps({"_id": "new", "text": "a new document"}) + "\n")
    assert load_beir(beir).corpus_digest() != before


def test_cli_bench_writes_a_section(
    beir: Path, settings: IndexSettings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "BENCHMARKS.md"
    options = ["--model", str(settings.model), "--dense-model", str(settings.dense_model)]
    command = ["bench", str(beir), "--docs", "6", "--queries", "3", *options]
    assert main([*command, "--output", str(output)]) == 0
    text = output.read_text(encoding="utf-8")
    assert "## `splade-rag bench` on sample" in text
    assert "Command: `splade-rag bench " in text
    assert "logical CPUs" in text
    for mode in ("sparse", "bm25", "dense", "hybrid"):
        assert f"| {mode} | " in text
    assert "| points | 6 |" in text

    assert main([*command[:3], "0", "--output", str(output)]) == 1
    assert "--docs must be at least 1" in capsys.readouterr().err
