"""Training end to end on tiny models: representations, steps, checkpoints, resume, bad input."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from splade_rag.cli import main
from splade_rag.encoder import SpladeEncoder
from splade_rag.models import load_masked_lm
from splade_rag.pooling import splade_pool
from splade_rag.train import (
    TrainingConfig,
    in_batch_ranking_loss,
    load_training_data,
    mine_negatives,
    train,
)
from splade_rag.train.checkpoint import OutputFolderError
from splade_rag.train.data import TrainingData, batches
from splade_rag.train.forward import TrainableSplade
from tests.sample_beir import QUERIES, write_beir

TEXTS = [
    "Paris is the capital and largest city of France.",
    "Sourdough bread rises with wild yeast and lactic acid bacteria over a long cool night.",
    "",
]
FAST = TrainingConfig(
    steps=4,
    batch_size=4,
    learning_rate=1e-3,
    warmup_steps=0,
    reg_warmup_steps=0,
    max_doc_length=48,
    max_query_length=16,
    save_every=2,
    negatives="none",
)


@pytest.fixture
def beir(tmp_path: Path) -> Path:
    return write_beir(tmp_path / "sample", train=True)


def _fixed_loss(model: str | Path, data: TrainingData) -> float:
    """The ranking loss of the first batch, without dropout."""
    lm = load_masked_lm(model)
    batch = next(batches(data, 4, 1, seed=0))
    splade = TrainableSplade(lm)
    with torch.no_grad():
        queries = splade.represent([data.queries[q] for q in batch.query_ids], 16)
        documents = splade.represent([data.documents[d] for d in batch.document_ids], 48)
    return in_batch_ranking_loss(queries, documents, torch.arange(4)).item()


def _mean_terms(model: str | Path, texts: list[str]) -> float:
    return float(np.mean([len(v) for v in SpladeEncoder(model).encode_documents(texts)]))


def test_training_representations_equal_the_encoders(splade_tiny_path: Path) -> None:
    lm = load_masked_lm(splade_tiny_path)
    reps = TrainableSplade(lm).represent(TEXTS, 128)
    vectors = SpladeEncoder(splade_tiny_path).encode_documents(TEXTS)

    for row, vector in zip(reps, vectors, strict=True):
        dense = torch.zeros(lm.vocab_size)
        dense[torch.tensor(vector.indices).long()] = torch.tensor(vector.values)
        torch.testing.assert_close(row.detach(), dense, atol=1e-5, rtol=1e-5)


def test_gradients_equal_autograd_through_the_pooling(tiny_bert_path: Path) -> None:
    torch.manual_seed(0)
    weights = torch.randn(30522)

    lm = load_masked_lm(tiny_bert_path)
    texts = TEXTS[:2]
    (TrainableSplade(lm).represent(texts, 64) @ weights).sum().backward()
    ours = {n: p.grad.clone() for n, p in lm.model.named_parameters() if p.grad is not None}

    reference = load_masked_lm(tiny_bert_path)
    inputs = reference.tokenizer(
        texts, padding=True, truncation=True, max_length=64, return_tensors="pt"
    )
    logits = reference.model(**inputs).logits
    (splade_pool(logits, inputs["attention_mask"]) @ weights).sum().backward()
    for name, parameter in reference.model.named_parameters():
        if parameter.grad is not None:
            torch.testing.assert_close(ours[name], parameter.grad, atol=1e-4, rtol=1e-3)


def test_a_few_steps_lower_the_loss(splade_tiny_path: Path, beir: Path, tmp_path: Path) -> None:
    data = load_training_data(beir)
    before = _fixed_loss(splade_tiny_path, data)

    train(beir, splade_tiny_path, tmp_path / "out", replace(FAST, steps=8, lambda_q=0, lambda_d=0))

    assert _fixed_loss(tmp_path / "out", data) < before


def test_raising_the_flops_weight_lowers_the_terms(
    tiny_bert_path: Path, beir: Path, tmp_path: Path
) -> None:
    texts = [text for text, _ in QUERIES.values()]
    without = train(beir, tiny_bert_path, tmp_path / "a", replace(FAST, lambda_q=0, lambda_d=0))
    strong = train(beir, tiny_bert_path, tmp_path / "b", replace(FAST, lambda_q=1, lambda_d=1))

    assert _mean_terms(strong.output, texts) < 0.8 * _mean_terms(without.output, texts)
    log = [json.loads(line) for line in (tmp_path / "b" / "log.jsonl").read_text().splitlines()]
    assert [entry["step"] for entry in log] == [1, 2, 3, 4] or log[-1]["step"] == 4
    assert {"loss", "rank", "flops_q", "flops_d", "nnz_q", "nnz_d", "lr"} <= set(log[-1])


def test_checkpoint_loads_in_the_encoder_with_its_pooling(
    tiny_bert_path: Path, beir: Path, tmp_path: Path
) -> None:
    result = train(beir, tiny_bert_path, tmp_path / "out", FAST, pooling="sum")

    encoder = SpladeEncoder(result.output)
    assert encoder.pooling == "sum"
    lm = load_masked_lm(result.output)
    expected = TrainableSplade(lm, "sum").represent(TEXTS[:1], 128)[0]
    vector = encoder.encode_documents(TEXTS[0])
    np.testing.assert_allclose(
        vector.values,
        expected[torch.tensor(vector.indices)].detach().numpy(),
        rtol=1e-5,
        atol=1e-5,
    )
    assert sorted(p.name for p in (result.output / "checkpoints").iterdir()) == [
        "step-000002",
        "step-000004",
    ]


def test_resume_after_an_interruption_reaches_the_same_model(
    tiny_bert_path: Path, beir: Path, tmp_path: Path
) -> None:
    straight = train(beir, tiny_bert_path, tmp_path / "straight", FAST)
    cut = train(beir, tiny_bert_path, tmp_path / "cut", FAST).output
    # as if the run had been killed after its step-2 checkpoint
    shutil.rmtree(cut / "checkpoints" / "step-000004")
    (cut / "model.safetensors").unlink()

    resumed = train(beir, tiny_bert_path, cut, None, resume=True)

    one = load_masked_lm(straight.output).model.state_dict()
    two = load_masked_lm(resumed.output).model.state_dict()
    for name, tensor in one.items():
        torch.testing.assert_close(two[name], tensor)


def test_bm25_negatives_skip_positives(splade_tiny: SpladeEncoder, beir: Path) -> None:
    data = load_training_data(beir)
    mined = mine_negatives(data, "bm25", splade_tiny, depth=5)

    assert set(mined) == set(data.queries)
    for query, docs in mined.items():
        assert docs and not set(docs) & set(data.positives[query])


def test_model_negatives_come_from_the_splade_arm(splade_tiny: SpladeEncoder, beir: Path) -> None:
    data = load_training_data(beir)
    mined = mine_negatives(data, "model", splade_tiny, depth=3)

    for query, docs in mined.items():
        assert len(docs) >= 2 and not set(docs) & set(data.positives[query])
    # the hardest negatives of the Paris question are the other capitals
    assert set(mined["q-paris"][:2]) <= {"berlin", "canberra"}


def test_teacher_scores_add_margin_mse(tiny_bert_path: Path, beir: Path, tmp_path: Path) -> None:
    data = load_training_data(beir)
    teacher = tmp_path / "teacher.tsv"
    rows = [
        f"{q}\t{d}\t{5.0 if d in data.positives[q] else 1.0}"
        for q in data.queries
        for d in data.documents
    ]
    teacher.write_text("\n".join(rows) + "\n", encoding="utf-8")

    config = replace(FAST, steps=2, negatives="bm25", log_every=1)
    train(beir, tiny_bert_path, tmp_path / "out", config, teacher_scores=teacher)

    log = (tmp_path / "out" / "log.jsonl").read_text(encoding="utf-8").splitlines()
    assert all(json.loads(line)["margin_mse"] >= 0 for line in log)

    teacher.write_text("q-paris\tno-such-doc\t1.0\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"teacher.tsv, line 1: .*'no-such-doc'"):
        train(beir, tiny_bert_path, tmp_path / "again", config, teacher_scores=teacher)


def test_triples_file_gives_queries_positives_and_negatives(tmp_path: Path) -> None:
    path = tmp_path / "triples.tsv"
    path.write_text(
        "capital of france\tParis is the capital.\tBerlin is in Germany.\n"
        '{"query": "wild yeast", "positive": "Sourdough.", "negatives": ["Espresso."]}\n',
        encoding="utf-8",
    )
    data = load_training_data(path)

    assert sorted(data.queries.values()) == ["capital of france", "wild yeast"]
    assert len(data.documents) == 4
    query = next(q for q, text in data.queries.items() if text == "wild yeast")
    assert [data.documents[d] for d in data.negatives[query]] == ["Espresso."]


def test_bad_training_data_is_refused(beir: Path, tmp_path: Path) -> None:
    qrels = beir / "qrels" / "train.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\nq-paris\tparis\t0\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no judgement above 0"):
        load_training_data(beir)

    qrels.write_text("q-paris\tparis\t1\nq-paris\tno-such-doc\t1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"1 document ids not in corpus\.jsonl.*no-such-doc"):
        load_training_data(beir)

    (beir / "qrels" / "train.tsv").unlink()
    with pytest.raises(FileNotFoundError, match="no split 'train'"):
        load_training_data(beir)

    triples = tmp_path / "bad.tsv"
    triples.write_text("a query\tits positive\njust one field\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.tsv, line 2"):
        load_training_data(triples)


def test_bad_settings_name_the_argument() -> None:
    with pytest.raises(ValueError, match="batch_size must be at least 2, got 1"):
        TrainingConfig(batch_size=1)
    with pytest.raises(ValueError, match="negatives must be one of auto, bm25, model, none"):
        TrainingConfig(negatives="dense")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lambda_d must be >= 0"):
        TrainingConfig(lambda_d=-1.0)


def test_output_folder_with_other_files_is_left_alone(
    tiny_bert_path: Path, beir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")

    with pytest.raises(OutputFolderError, match=r"other files \(notes\.txt\).*--overwrite"):
        train(beir, tiny_bert_path, out, FAST)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]

    train(beir, tiny_bert_path, out, replace(FAST, steps=2), overwrite=True)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert SpladeEncoder(out).vocab_size == 30522

    with pytest.raises(OutputFolderError, match=r"earlier training run.*--resume"):
        train(beir, tiny_bert_path, out, FAST)
    with pytest.raises(ValueError, match="other settings: learning_rate"):
        train(beir, tiny_bert_path, out, replace(FAST, learning_rate=0.1), resume=True)


def test_train_command_trains_and_saves_a_loadable_model(
    tiny_bert_path: Path, beir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    status = main(
        [
            "train",
            str(beir),
            "--model",
            str(tiny_bert_path),
            "--out",
            str(out),
            "--steps",
            "2",
            "--batch-size",
            "2",
            "--max-doc-length",
            "32",
            "--negatives",
            "bm25",
        ]
    )

    assert status == 0
    assert "trained 2 steps" in capsys.readouterr().out
    assert (out / "negatives.json").is_file()
    assert len(SpladeEncoder(out).encode_queries("capital of france")) > 0

    assert main(["train", str(beir), "--model", str(tiny_bert_path), "--out", str(out)]) == 1
    assert "--resume" in capsys.readouterr().err
    assert main(["train", str(beir), "--out", str(out), "--batch-size", "1"]) == 1
    assert "batch_size must be at least 2" in capsys.readouterr().err

    # resuming needs neither the model nor the settings again: they are the run's own
    assert main(["train", str(beir), "--out", str(out), "--resume", "--steps", "3"]) == 0
    assert json.loads((out / "training.json").read_text(encoding="utf-8"))["step"] == 3
