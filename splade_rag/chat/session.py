"""A multi-turn, hybrid-search chat over a store, its answers guarded and cited."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from splade_rag.chat.guard import (
    NOT_IN_SOURCES,
    attribute,
    content_words,
    extractive_answer,
    is_follow_up,
    relevant,
    support,
)
from splade_rag.retrieval import Hit, SearchMode
from splade_rag.store import SpladeStore

__all__ = ["Answer", "ChatSession"]

logger = logging.getLogger(__name__)

Method = Literal["model", "extractive", "none"]

SYSTEM_PROMPT = (
    "You answer questions using only the numbered passages below. Answer in one or two "
    "short sentences and cite the passages you used as [1], [2]. If the passages do not "
    f'contain the answer, reply exactly: "{NOT_IN_SOURCES}"\n\n{{passages}}'
)


@dataclass(frozen=True)
class Answer:
    """One turn's answer.

    `method` says where the text came from: `"model"` (the chat model, checked against the
    passages), `"extractive"` (sentences of the passages: no model, or the model's answer
    was unsupported or cited a passage that does not exist) or `"none"` (nothing in the
    sources fits). `sources` are the passages the numbers `[n]` refer to; an answer the
    model left uncited is attributed to the passage sharing most of its words.
    """

    question: str
    search_query: str
    text: str
    method: Method
    sources: list[Hit]
    model_text: str | None = None
    rejected_because: str | None = None
    cited: list[int] = field(default_factory=list)


class ChatSession:
    """Answer questions from a `SpladeStore`, remembering the conversation.

    A follow-up question (pronouns, "and ...", "what about ...") is searched together with
    the previous question, so "and its population?" after "what is the capital of France?"
    still finds Paris. The answer comes from `model`, any LangChain chat model, and is checked
    against the retrieved passages; an unsupported answer is replaced by an extractive one.

    Args:
        store: the store to search.
        model: a LangChain chat model; None answers extractively only.
        top_k: passages given to the model and shown as sources.
        mode: the search mode (hybrid by default).
        history: earlier turns given to the model.
        **search_options: further `SpladeStore.search` options.
    """

    def __init__(
        self,
        store: SpladeStore,
        model: Any | None = None,
        *,
        top_k: int = 3,
        mode: SearchMode = "hybrid",
        history: int = 2,
        **search_options: Any,
    ) -> None:
        store.check()
        self.store = store
        self.model = model
        self.top_k = top_k
        self.mode = mode
        self.history = history
        self.search_options = search_options
        self.turns: list[Answer] = []

    def search_query(self, question: str) -> str:
        """What to search for: the question, joined to the last one when it is a follow-up."""
        if self.turns and is_follow_up(question):
            return f"{self.turns[-1].search_query} {question}"
        return question

    def ask(self, question: str, on_token: Callable[[str], None] | None = None) -> Answer:
        """Answer `question`; `on_token` receives the model's text as it streams."""
        if not isinstance(question, str) or not question.strip():
            raise ValueError("the question is empty: ask something")

        query = self.search_query(question.strip())
        hits = self.store.search(
            query, mode=self.mode, top_k=self.top_k, explain=True, **self.search_options
        )
        passages = [hit.text for hit in hits]
        if not hits or not relevant(query, passages):
            answer = Answer(question, query, NOT_IN_SOURCES, "none", hits)
        elif self.model is None:
            answer = self._extractive(question, query, hits, None, None)
        else:
            answer = self._from_model(question, query, hits, on_token)
        self.turns.append(answer)
        return answer

    def _from_model(
        self,
        question: str,
        query: str,
        hits: list[Hit],
        on_token: Callable[[str], None] | None,
    ) -> Answer:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        passages = [hit.text for hit in hits]
        numbered = "\n".join(f"[{n}] {text}" for n, text in enumerate(passages, 1))
        messages: list[Any] = [SystemMessage(SYSTEM_PROMPT.format(passages=numbered))]
        for turn in self.turns[-self.history :] if self.history else []:
            messages += [HumanMessage(turn.question), AIMessage(turn.text)]
        messages.append(HumanMessage(question))

        pieces = []
        for chunk in self.model.stream(messages):  # type: ignore[union-attr]
            piece = chunk.text if isinstance(chunk.text, str) else str(chunk.content)
            pieces.append(piece)
            if on_token is not None:
                on_token(piece)
        text = "".join(pieces).strip()

        if NOT_IN_SOURCES.lower().rstrip(".") in text.lower():
            return self._extractive(question, query, hits, text, "the model found no answer")
        checked = support(text, passages)
        if checked.bad_citations:
            reason = f"cites passages that do not exist: {checked.bad_citations}"
            return self._extractive(question, query, hits, text, reason)
        if not checked.ok:
            reason = f"only {checked.share:.0%} of its content words are in the passages"
            return self._extractive(question, query, hits, text, reason)
        cited = checked.citations
        if not cited and (source := attribute(text, passages)) is not None:
            cited = [source]
            text = f"{text} [{source}]"
        return Answer(question, query, text, "model", hits, "".join(pieces).strip(), None, cited)

    def _extractive(
        self,
        question: str,
        query: str,
        hits: list[Hit],
        model_text: str | None,
        reason: str | None,
    ) -> Answer:
        if reason is not None:
            logger.info("model answer replaced by an extractive one: %s", reason)
        wanted = question if content_words(question) and not is_follow_up(question) else query
        text = extractive_answer(wanted, [hit.text for hit in hits])
        method: Method = "none" if text == NOT_IN_SOURCES else "extractive"
        cited = support(text, [hit.text for hit in hits]).citations
        return Answer(question, query, text, method, hits, model_text, reason, cited)
