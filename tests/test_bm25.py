from __future__ import annotations

import pytest

from splade_rag.bm25 import Bm25Encoder, Bm25Settings


@pytest.fixture(scope="module")
def bm25() -> Bm25Encoder:
    return Bm25Encoder(Bm25Settings(avg_len=8.0))


def test_stemming_gives_inflections_one_term(bm25: Bm25Encoder) -> None:
    running, run = bm25.encode_queries(["running", "run"])

    assert len(running.indices) == 1
    assert running.indices.tolist() == run.indices.tolist()


def test_stop_words_give_no_term(bm25: Bm25Encoder) -> None:
    [the] = bm25.encode_documents(["the"])
    the_dog, dog = bm25.encode_queries(["The dog", "dog"])

    assert the.indices.size == 0
    assert the_dog == dog


def test_query_vectors_weigh_each_term_by_its_count(bm25: Bm25Encoder) -> None:
    [query] = bm25.encode_queries(["cat cat cat dog runs running"])
    cat, dog, run = (bm25.encode_queries([w])[0].indices[0] for w in ("cat", "dog", "run"))

    assert query.to_dict() == {int(cat): 3.0, int(dog): 1.0, int(run): 2.0}


def test_document_weights_follow_the_bm25_term_frequency_formula(bm25: Bm25Encoder) -> None:
    k, b, avg_len = 1.2, 0.75, 8.0
    length = 4  # stop words ("the", "and") do not count

    [document] = bm25.encode_documents(["The cat and the cat and the cat dog"])

    def weight(tf: int) -> float:
        return tf * (k + 1) / (tf + k * (1 - b + b * length / avg_len))

    cat, dog = (bm25.encode_queries([word])[0].indices[0] for word in ("cat", "dog"))
    assert document.to_dict() == pytest.approx({int(cat): weight(3), int(dog): weight(1)})
    assert weight(3) == pytest.approx(1.76)


def test_documents_and_queries_keep_input_order(bm25: Bm25Encoder) -> None:
    texts = ["paris france", "berlin", "rome italy"]

    documents = bm25.encode_documents(texts)
    queries = bm25.encode_queries(texts)

    assert [d.indices.tolist() for d in documents] == [q.indices.tolist() for q in queries]
    assert [len(d.indices) for d in documents] == [2, 1, 2]


def test_term_ids_map_ids_back_to_words(bm25: Bm25Encoder) -> None:
    [query] = bm25.encode_queries(["The running dogs run quickly."])

    terms = bm25.term_ids("The running dogs run quickly.")

    assert sorted(terms) == sorted(query.indices.tolist())
    assert sorted(terms.values()) == ["dogs", "quickly", "running"]


def test_settings_round_trip_to_a_dict() -> None:
    settings = Bm25Settings(k=0.9, b=0.4, avg_len=100.0, language="french")

    assert Bm25Settings(**settings.to_dict()) == settings


def test_unsupported_language_is_named_with_a_supported_alternative() -> None:
    with pytest.raises(
        ValueError, match=r"(?s)BM25 language 'klingon' is not supported.*'english'"
    ):
        Bm25Encoder(Bm25Settings(language="klingon"))
