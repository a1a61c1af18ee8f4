from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForMaskedLM, AutoTokenizer

from splade_rag.encoder import SpladeEncoder
from splade_rag.errors import ModelLoadError
from splade_rag.vectors import SparseVector

QUERY = "what is the capital of france"
GOLDEN = {"capital": 2.79, "france": 2.36, "french": 1.84, "city": 1.31, "paris": 0.49}


def _dense(vector: SparseVector, size: int) -> np.ndarray:
    return vector.to_scipy(size).toarray()[0]


def _assert_close(got: SparseVector, want: SparseVector) -> None:
    np.testing.assert_array_equal(got.indices, want.indices)
    np.testing.assert_allclose(got.values, want.values, rtol=1e-5, atol=1e-5)


def _by_formula(folder: Path, text: str, pooling: str = "max") -> np.ndarray:
    """The SPLADE weights of `text`, from the full model's logits, one token at a time."""
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForMaskedLM.from_pretrained(folder).eval()
    with torch.no_grad():
        logits = model(**tokenizer(text, return_tensors="pt")).logits[0].double().numpy()
    weights = np.zeros(logits.shape[1])
    for token_logits in logits:
        token_weights = np.log1p(np.maximum(token_logits, 0.0))
        weights = (
            np.maximum(weights, token_weights) if pooling == "max" else weights + token_weights
        )
    return weights


def test_golden_terms_of_splade_tiny(splade_tiny: SpladeEncoder) -> None:
    vector = splade_tiny.encode_queries(QUERY)
    terms = dict(vector.decode())

    assert len(vector) == 15
    assert [term for term, _ in vector.decode()[:4]] == ["capital", "france", "french", "city"]
    for term, weight in GOLDEN.items():
        assert terms[term] == pytest.approx(weight, abs=0.01)


@pytest.mark.parametrize("pooling", ["max", "sum"])
def test_vectors_equal_the_formula_token_by_token(tiny_bert_path: Path, pooling: str) -> None:
    encoder = SpladeEncoder(tiny_bert_path, pooling=pooling, device="cpu")  # type: ignore[arg-type]
    text = "Sparse retrieval expands documents with related vocabulary terms."

    vector = encoder.encode_documents(text)

    expected = _by_formula(tiny_bert_path, text, pooling)
    np.testing.assert_allclose(_dense(vector, encoder.vocab_size), expected, rtol=1e-5, atol=1e-5)


def test_splade_tiny_equals_the_formula(
    splade_tiny: SpladeEncoder, splade_tiny_path: Path
) -> None:
    vector = splade_tiny.encode_documents(QUERY)

    expected = _by_formula(splade_tiny_path, QUERY)
    np.testing.assert_allclose(_dense(vector, splade_tiny.vocab_size), expected, atol=1e-5)


@pytest.mark.parametrize("fixture", ["tiny_bert", "splade_tiny"])
def test_padding_never_changes_a_vector(fixture: str, request: pytest.FixtureRequest) -> None:
    encoder: SpladeEncoder = request.getfixturevalue(fixture)
    short = "paris is the capital of france"
    long_texts = ["a much longer text about rivers, mountains and cities " * 30] * 3

    alone = encoder.encode_documents(short)
    in_batch = encoder.encode_documents([*long_texts, short, *long_texts])[3]

    _assert_close(alone, in_batch)


def test_batches_return_vectors_in_input_order(splade_tiny: SpladeEncoder) -> None:
    texts = ["tiny", "a somewhat longer text about bread and yeast", "", "medium length text"]

    batch = splade_tiny.encode_documents(texts, show_progress=False)

    for text, vector in zip(texts, batch, strict=True):
        _assert_close(vector, splade_tiny.encode_documents(text))


def test_max_and_sum_pooling_differ_as_defined(splade_tiny_path: Path) -> None:
    text = "bread bread bread yeast"
    max_vector = SpladeEncoder(splade_tiny_path, pooling="max").encode_documents(text)
    sum_vector = SpladeEncoder(splade_tiny_path, pooling="sum").encode_documents(text)

    np.testing.assert_array_equal(max_vector.indices, sum_vector.indices)
    assert np.all(sum_vector.values >= max_vector.values - 1e-6)
    assert sum_vector.values.sum() > max_vector.values.sum()


def test_pruning_per_call(splade_tiny: SpladeEncoder) -> None:
    full = splade_tiny.encode_queries(QUERY)

    top = splade_tiny.encode_queries(QUERY, top_k=3)
    heavy = splade_tiny.encode_queries(QUERY, min_weight=1.0)

    assert [t for t, _ in top.decode()] == ["capital", "france", "french"]
    assert all(w >= 1.0 for _, w in heavy.decode())
    assert len(heavy) == int((full.values >= 1.0).sum())


def test_long_text_is_windowed_not_truncated(splade_tiny_path: Path) -> None:
    filler = "the cat sat on the mat and looked at the garden . " * 170
    text = filler + "a volcano erupted"
    windowed = SpladeEncoder(splade_tiny_path)
    truncated = SpladeEncoder(splade_tiny_path, split_long=False)
    assert len(windowed._documents.lm.tokenizer(text)["input_ids"]) > 2000
    volcano = windowed.vocab.index("volcano")

    assert volcano in windowed.encode_documents(text).indices
    assert volcano not in truncated.encode_documents(text).indices


def test_sum_pooling_counts_window_overlaps_once(tiny_bert_path: Path) -> None:
    encoder = SpladeEncoder(tiny_bert_path, pooling="sum", max_length=12, stride=4)
    text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_path)
    model = AutoModelForMaskedLM.from_pretrained(tiny_bert_path).eval()
    windows = tokenizer(
        text, max_length=12, stride=4, truncation=True, return_overflowing_tokens=True
    )["input_ids"]
    assert len(windows) >= 2

    expected = np.zeros(encoder.vocab_size)
    for number, ids in enumerate(windows):
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits[0].double().numpy()
        keep = np.ones(len(ids), dtype=bool)
        if number > 0:
            keep[1:5] = False  # the 4 tokens the previous window already counted
        expected += np.log1p(np.maximum(logits[keep], 0)).sum(axis=0)

    actual = _dense(encoder.encode_documents(text), encoder.vocab_size)
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


def test_memory_bounded_and_whole_model_paths_agree(tiny_bert: SpladeEncoder) -> None:
    texts = ["first text about the sea", "second, longer text about mountains and snow"]
    expected = tiny_bert.encode_documents(texts)
    runner = tiny_bert._documents
    split_lm, budget = runner.lm, runner.max_logits_bytes

    try:
        runner.max_logits_bytes = 1  # the head runs on one sequence's logits at a time
        one_at_a_time = tiny_bert.encode_documents(texts)
        runner.lm = dataclasses.replace(split_lm, body=None, head=None)  # whole-model path
        whole_model = tiny_bert.encode_documents(texts)
    finally:
        runner.lm, runner.max_logits_bytes = split_lm, budget

    for got, want in zip([*one_at_a_time, *whole_model], expected * 2, strict=True):
        _assert_close(got, want)


def test_empty_and_whitespace_text_give_empty_vectors(splade_tiny: SpladeEncoder) -> None:
    vectors = splade_tiny.encode_documents(["", "   \n\t", "bread"])

    assert len(vectors[0]) == 0 and len(vectors[1]) == 0
    assert len(vectors[2]) > 0
    assert len(splade_tiny.encode_queries("")) == 0


def test_non_string_item_names_its_position(splade_tiny: SpladeEncoder) -> None:
    with pytest.raises(TypeError, match=r"texts\[1\] is a int"):
        splade_tiny.encode_documents(["fine", 42])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="sequence of str"):
        splade_tiny.encode_queries(None)  # type: ignore[call-overload]


def test_inference_free_queries_weigh_their_own_tokens(splade_tiny_path: Path) -> None:
    encoder = SpladeEncoder(splade_tiny_path, query_mode="inference-free")

    vector = encoder.encode_queries("What is the capital of France? capital!")

    assert dict(vector.decode()) == {
        term: 1.0 for term in ["what", "is", "the", "capital", "of", "france", "?", "!"]
    }
    assert len(encoder.encode_documents("the capital of france")) > 8  # documents use the model


def test_inference_free_queries_use_a_weight_file(splade_tiny_path: Path, tmp_path: Path) -> None:
    weights = tmp_path / "idf.json"
    weights.write_text(json.dumps({"capital": 3.5, "france": 4.25, "the": 0.1}))
    encoder = SpladeEncoder(
        splade_tiny_path, query_mode="inference-free", query_token_weights=weights
    )

    vector = encoder.encode_queries("the capital of france")

    assert vector.decode() == [("france", 4.25), ("capital", 3.5), ("the", pytest.approx(0.1))]


@pytest.mark.parametrize(
    ("content", "message"),
    [("not json", "not valid JSON"), ('["a"]', "JSON object"), ('{"a": -1}', "finite number")],
)
def test_bad_weight_files_are_named(
    splade_tiny_path: Path, tmp_path: Path, content: str, message: str
) -> None:
    weights = tmp_path / "idf.json"
    weights.write_text(content)
    with pytest.raises(ValueError, match=message):
        SpladeEncoder(splade_tiny_path, query_mode="inference-free", query_token_weights=weights)


def test_separate_query_model(tiny_bert_path: Path, splade_tiny_path: Path) -> None:
    encoder = SpladeEncoder(tiny_bert_path, query_model=splade_tiny_path)

    query = encoder.encode_queries(QUERY)
    document = encoder.encode_documents(QUERY)

    assert [t for t, _ in query.decode()[:2]] == ["capital", "france"]
    assert len(document) > 1000  # the random tiny BERT activates many terms


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pooling": "mean"}, "pooling must be one of max, sum; got 'mean'"),
        ({"stride": 600}, "stride must be an integer from 0 to 509"),
        ({"max_length": 64, "stride": 64}, "stride must be an integer from 0 to 61"),
        ({"max_length": 4096}, "max_length must be between 3 and 512"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"query_mode": "bm25"}, "query_mode must be one of model, inference-free"),
        ({"device": "tpu"}, "device must be one of cpu, cuda, mps"),
        ({"dtype": "int8"}, "dtype must be one of float32, float16, bfloat16"),
        ({"query_token_weights": {"a": 1.0}}, "needs query_mode='inference-free'"),
    ],
)
def test_invalid_options_name_argument_value_and_range(
    splade_tiny_path: Path, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SpladeEncoder(splade_tiny_path, **options)  # type: ignore[arg-type]


def test_invalid_pruning_per_call(splade_tiny: SpladeEncoder) -> None:
    with pytest.raises(ValueError, match="top_k must be an integer >= 1 or None, got 0"):
        splade_tiny.encode_queries(QUERY, top_k=0)


def test_unreachable_model_names_it_and_the_fixes() -> None:
    with pytest.raises(ModelLoadError) as caught:
        SpladeEncoder("naver/no-such-splade-model")

    message = str(caught.value)
    assert "naver/no-such-splade-model" in message
    assert "could not be downloaded" in message
    assert "SPLADE_RAG_MODEL" in message and "local folder" in message
    assert isinstance(caught.value, OSError)


def test_default_model_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, splade_tiny_path: Path
) -> None:
    monkeypatch.setenv("SPLADE_RAG_MODEL", str(splade_tiny_path))

    assert SpladeEncoder().model_name == str(splade_tiny_path)

    monkeypatch.delenv("SPLADE_RAG_MODEL")
    with pytest.raises(ModelLoadError, match="naver/splade-cocondenser-ensembledistil"):
        SpladeEncoder()


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        SpladeEncoder(str(tmp_path / "nowhere"))


def test_checkpoint_without_mlm_head_is_refused(tmp_path: Path, splade_tiny_path: Path) -> None:
    from transformers import BertConfig, BertModel

    config = BertConfig(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64
    )
    BertModel(config).save_pretrained(tmp_path)
    AutoTokenizer.from_pretrained(splade_tiny_path).save_pretrained(tmp_path)

    with pytest.raises(ModelLoadError, match="no trained MLM head"):
        SpladeEncoder(tmp_path)


def test_architecture_without_masked_lm_is_refused(tmp_path: Path, splade_tiny_path: Path) -> None:
    from transformers import GPT2Config, GPT2Model

    GPT2Model(GPT2Config(n_layer=1, n_embd=32, n_head=2)).save_pretrained(tmp_path)
    AutoTokenizer.from_pretrained(splade_tiny_path).save_pretrained(tmp_path)

    with pytest.raises(ModelLoadError, match="not a masked-LM checkpoint"):
        SpladeEncoder(tmp_path)


def test_bfloat16_keeps_the_top_terms(splade_tiny_path: Path, splade_tiny: SpladeEncoder) -> None:
    half = SpladeEncoder(splade_tiny_path, dtype="bfloat16", device="cpu")

    vector = half.encode_queries(QUERY)

    assert vector.values.dtype == np.float32
    top = [term for term, _ in vector.decode()[:3]]
    assert top == [term for term, _ in splade_tiny.encode_queries(QUERY).decode()[:3]]
    assert dict(vector.decode())["capital"] == pytest.approx(GOLDEN["capital"], abs=0.05)
