"""The chatbot: follow-ups, the guard against unsupported answers, cited sources, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from splade_rag import SpladeStore
from splade_rag.chat import ChatSession
from splade_rag.chat.guard import (
    NOT_IN_SOURCES,
    content_words,
    extractive_answer,
    is_follow_up,
    support,
)
from splade_rag.cli import main
from splade_rag.documents import Document
from splade_rag.encoder import SpladeEncoder

PASSAGES = [
    "Paris is the capital of France and its largest city.",
    "Berlin is the capital of Germany. The wall fell in 1989.",
]


@pytest.fixture(scope="module")
def store(splade_tiny: SpladeEncoder, sample_documents: list[Document]) -> SpladeStore:
    store = SpladeStore(":memory:", encoder=splade_tiny, chunk_size=None)
    store.add_documents(sample_documents)
    return store


def test_content_words_drop_stop_words_and_stem() -> None:
    assert content_words("What are the capitals of the cities?") == {"capital", "city"}


def test_support_counts_words_found_in_the_passages() -> None:
    assert support("Paris is the capital of France [1].", PASSAGES).ok
    invented = support("Lyon is the capital of Spain [1].", PASSAGES)
    assert not invented.ok and invented.share == pytest.approx(1 / 3)
    missing = support("Paris is the capital of France [3].", PASSAGES)
    assert missing.bad_citations == [3] and not missing.ok


def test_extractive_answer_cites_the_best_sentences() -> None:
    answer = extractive_answer("the wall fell when?", PASSAGES, sentences=1)
    assert answer == "The wall fell in 1989. [2]"
    assert extractive_answer("quantum chromodynamics", PASSAGES) == NOT_IN_SOURCES


@pytest.mark.parametrize(
    ("question", "follow_up"),
    [
        ("and its population?", True),
        ("what about germany?", True),
        ("when was it built?", True),
        ("what is the capital of france?", False),
        ("how does photosynthesis turn light into sugar?", False),
    ],
)
def test_follow_up_detection(question: str, follow_up: bool) -> None:
    assert is_follow_up(question) is follow_up


def test_supported_model_answer_is_kept(store: SpladeStore) -> None:
    model = FakeListChatModel(responses=["Paris is the capital of France [1]."])
    answer = ChatSession(store, model).ask("what is the capital of france?")
    assert answer.method == "model"
    assert answer.text == "Paris is the capital of France [1]."
    assert answer.sources[0].metadata["doc_id"] == "paris"
    assert answer.cited == [1]
    assert "capital" in [m.term for m in answer.sources[0].explanation or []]


def test_uncited_model_answer_is_attributed_to_its_passage(store: SpladeStore) -> None:
    model = FakeListChatModel(responses=["Berlin is the capital of Germany."])
    answer = ChatSession(store, model).ask("what is the capital of germany?")
    assert answer.method == "model"
    assert answer.cited == [1]
    assert answer.text == "Berlin is the capital of Germany. [1]"
    assert answer.model_text == "Berlin is the capital of Germany."


def test_invented_answer_is_replaced_by_an_extractive_one(store: SpladeStore) -> None:
    model = FakeListChatModel(responses=["Marseille, famous for bouillabaisse soup [1]."])
    answer = ChatSession(store, model).ask("what is the capital of france?")
    assert answer.method == "extractive"
    assert answer.model_text == "Marseille, famous for bouillabaisse soup [1]."
    assert "content words" in str(answer.rejected_because)
    assert "Paris is the capital of France" in answer.text
    assert "[1]" in answer.text


def test_citing_a_missing_source_is_replaced(store: SpladeStore) -> None:
    model = FakeListChatModel(responses=["Paris is the capital of France [9]."])
    answer = ChatSession(store, model, top_k=3).ask("what is the capital of france?")
    assert answer.method == "extractive"
    assert "[9]" in str(answer.rejected_because)


def test_nothing_fits_says_not_in_the_sources(store: SpladeStore) -> None:
    model = FakeListChatModel(responses=["The Krebs cycle oxidises acetyl-CoA [1]."])
    answer = ChatSession(store, model).ask("xylophone zebra quokka")
    assert answer.method == "none"
    assert answer.text == NOT_IN_SOURCES


def test_follow_up_is_searched_with_the_question_before(store: SpladeStore) -> None:
    session = ChatSession(store, None)
    first = session.ask("what is the capital of germany?")
    assert first.sources[0].metadata["doc_id"] == "berlin"
    second = session.ask("when was the wall there built?")
    assert second.search_query.startswith("what is the capital of germany?")
    assert second.sources[0].metadata["doc_id"] == "berlin"
    assert "1961" in second.text


def test_history_reaches_the_model(store: SpladeStore) -> None:
    model = FakeListChatModel(responses=["Berlin is the capital of Germany [1]."] * 2)
    session = ChatSession(store, model)
    session.ask("what is the capital of germany?")
    session.ask("and of france?")
    assert len(session.turns) == 2


def test_empty_question_is_refused(store: SpladeStore) -> None:
    with pytest.raises(ValueError, match="empty"):
        ChatSession(store).ask("  ")


def test_cli_chat_json_one_shot(
    tmp_path: Path,
    splade_tiny: SpladeEncoder,
    sample_documents: list[Document],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with SpladeStore(tmp_path / "s", encoder=splade_tiny, chunk_size=None) as writer:
        writer.add_documents(sample_documents)
    status = main(
        [
            "chat",
            "--store",
            str(tmp_path / "s"),
            "--no-llm",
            "--no-dense",
            "--json",
            "how do plants make sugar?",
        ]
    )
    assert status == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["method"] == "extractive"
    assert reply["sources"][0]["metadata"]["doc_id"] == "photosynthesis"
    assert reply["sources"][0]["cited"] is True
    assert "sugar" in reply["answer"]


def test_cli_chat_json_needs_a_question(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--json", "--no-llm", "--store", ":memory:"]) == 1
    assert "--json answers one QUESTION" in capsys.readouterr().err
