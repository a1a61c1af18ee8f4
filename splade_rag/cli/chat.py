"""`splade-rag chat`: a hybrid-search chatbot in the terminal, or one answer as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from splade_rag.cli.encode import model_option
from splade_rag.cli.store import dense_options, open_store, store_options

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the `chat` command."""
    chat = commands.add_parser(
        "chat",
        help="chat with a collection: cited answers from hybrid search",
        description="Answer questions from a collection. Follow-up questions are searched with "
        "the one before. Answers come from a chat model (offline: the bundled SmolLM2) and are "
        "checked against the passages; an unsupported answer is replaced by sentences of the "
        "passages. Each answer lists its sources and the terms they matched.",
    )
    chat.add_argument("question", nargs="?", metavar="QUESTION", help="ask once and exit")
    store_options(chat)
    model_option(chat)
    dense_options(chat)
    chat.add_argument(
        "--chat-model",
        metavar="DIR",
        help="a local transformers causal-LM folder (default: the bundled SmolLM2)",
    )
    chat.add_argument(
        "--no-llm", action="store_true", help="answer with sentences of the passages only"
    )
    chat.add_argument("--mode", choices=("sparse", "bm25", "dense", "hybrid"), default="hybrid")
    chat.add_argument("--top-k", type=int, default=3, metavar="K", help="passages per answer")
    chat.add_argument("--json", action="store_true", help="answer QUESTION as one JSON object")
    chat.set_defaults(run=_chat)


def _chat(args: argparse.Namespace) -> int:
    from splade_rag.chat import ChatSession

    if args.json and args.question is None:
        raise ValueError("--json answers one QUESTION: give it, e.g. splade-rag chat --json 'Q'")
    model = None
    if not args.no_llm:
        from splade_rag.chat import LocalChatModel

        model = LocalChatModel(model=args.chat_model)
    with open_store(args, indexing=False) as store:
        session = ChatSession(store, model, top_k=args.top_k, mode=args.mode)
        if args.question is not None:
            if args.json:
                answer = session.ask(args.question)
                print(json.dumps(_as_json(answer, model), indent=2, ensure_ascii=False))
            else:
                _turn(session, args.question)
            return 0
        return _loop(session, model)


def _loop(session: Any, model: Any) -> int:
    name = "extractive answers only" if model is None else model.model_name
    print(f"splade-rag chat over {session.store.collection!r} ({name}); empty line or Ctrl-D ends")
    while True:
        try:
            question = input("\nyou> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not question:
            return 0
        _turn(session, question)


def _turn(session: Any, question: str) -> None:
    print("bot> ", end="", flush=True)

    def show(piece: str) -> None:
        print(piece, end="", flush=True)

    answer = session.ask(question, on_token=show)
    if answer.model_text is None:
        print(answer.text)
    elif answer.method == "model":
        print()
    else:
        print(f"\n  (not used: {answer.rejected_because})\nbot> {answer.text}")
    print(f"  [{_describe(answer.method)}]")
    for number, hit in enumerate(answer.sources, 1):
        terms = ", ".join(m.term for m in (hit.explanation or [])[:5]) or "-"
        name = hit.metadata.get("title") or hit.metadata.get("doc_id") or hit.id
        marker = "*" if number in answer.cited else " "
        print(f" {marker}[{number}] {name}  (matched: {terms})", file=sys.stdout)


def _describe(method: str) -> str:
    return {
        "model": "answer from the chat model, checked against the sources",
        "extractive": "extractive answer: sentences of the sources",
        "none": "nothing in the sources answers this",
    }[method]


def _as_json(answer: Any, model: Any) -> dict[str, Any]:
    return {
        "question": answer.question,
        "search_query": answer.search_query,
        "answer": answer.text,
        "method": answer.method,
        "model": None if model is None else model.model_name,
        "model_answer": answer.model_text,
        "rejected_because": answer.rejected_because,
        "sources": [
            {
                "number": number,
                "id": hit.id,
                "metadata": hit.metadata,
                "text": hit.text,
                "score": hit.score,
                "cited": number in answer.cited,
                "matched_terms": [m.term for m in hit.explanation or []][:10],
            }
            for number, hit in enumerate(answer.sources, 1)
        ],
    }
