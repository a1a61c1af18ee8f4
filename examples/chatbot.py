"""A hybrid-search chatbot over the sample corpus: multi-turn, cited, guarded.

Each answer lists its sources with the SPLADE terms they matched. Follow-ups ("and when was
it built?") are searched together with the question before. The answering model is any
LangChain chat model; offline it is the bundled SmolLM2, checked against the passages and
replaced by an extractive answer when it says something they do not support.

    .venv/bin/python examples/chatbot.py                       # interactive
    .venv/bin/python examples/chatbot.py --json "what is splade?" "and bm25?"
    splade-rag chat                                           # the same over an indexed store
"""

from __future__ import annotations

import argparse
import json

from _corpus import models, sample_documents

from splade_rag import SpladeStore
from splade_rag.chat import Answer, ChatSession, LocalChatModel


def show(answer: Answer) -> None:
    print(f"bot> {answer.text}  ({answer.method})")
    for number, hit in enumerate(answer.sources, 1):
        terms = ", ".join(m.term for m in (hit.explanation or [])[:5])
        print(f"   [{number}] {hit.metadata['doc_id']}: matched {terms}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="*", help="one conversation; none: interactive")
    parser.add_argument("--json", action="store_true", help="print each turn as JSON")
    parser.add_argument("--no-llm", action="store_true", help="extractive answers only")
    args = parser.parse_args()

    encoder, dense = models()
    store = SpladeStore(":memory:", encoder=encoder, dense=dense)
    store.add_documents(sample_documents())
    session = ChatSession(store, None if args.no_llm else LocalChatModel(), top_k=3)

    if not args.questions:
        print("ask about the sample corpus (capitals, science, cooking, ...); empty line ends")
        while question := input("\nyou> ").strip():
            show(session.ask(question))
        return
    for question in args.questions:
        answer = session.ask(question)
        if args.json:
            turn = {
                "question": question,
                "search_query": answer.search_query,
                "answer": answer.text,
                "method": answer.method,
                "model_answer": answer.model_text,
                "rejected_because": answer.rejected_because,
                "sources": [hit.metadata["doc_id"] for hit in answer.sources],
                "cited": answer.cited,
            }
            print(json.dumps(turn, ensure_ascii=False))
        else:
            print(f"you> {question}")
            show(answer)


if __name__ == "__main__":
    main()
