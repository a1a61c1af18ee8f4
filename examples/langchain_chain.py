"""A LangChain RAG chain over SPLADE + dense hybrid search.

retriever -> numbered passages -> prompt -> chat model -> answer, run sync, async and batched.
Offline it runs the bundled SmolLM2 (splade_rag.chat.LocalChatModel); swap in any LangChain
chat model (ChatOpenAI, ChatOllama, ...).

    .venv/bin/python examples/langchain_chain.py "what is the capital of france?"
"""

from __future__ import annotations

import argparse
import asyncio

from _corpus import models, sample_documents
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough

from langchain_splade_rag import SpladeRetriever, format_documents
from splade_rag import SpladeStore
from splade_rag.chat import LocalChatModel

PROMPT = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            "Answer in one sentence using only these passages, citing them as [1], [2]:"
            "\n\n{context}",
        ),
        ("human", "{question}"),
    ]
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="*", default=["what is the capital of france?"])
    args = parser.parse_args()

    encoder, dense = models()
    store = SpladeStore(":memory:", encoder=encoder, dense=dense)
    store.add_documents(sample_documents())

    retriever = SpladeRetriever(store=store, k=2, mode="hybrid")
    chain = (
        {"context": retriever | format_documents, "question": RunnablePassthrough()}
        | PROMPT
        | LocalChatModel(max_new_tokens=60)
        | StrOutputParser()
    )

    first, *rest = args.questions
    print(f"Q: {first}\nA: {chain.invoke(first).strip()}")
    print(f"sources: {[d.metadata['doc_id'] for d in retriever.invoke(first)]}")
    if rest:
        for question, answer in zip(rest, chain.batch(rest), strict=True):
            print(f"Q: {question}\nA: {answer.strip()}")
    answer = asyncio.run(chain.ainvoke(first))
    print(f"async: {answer.strip()}")


if __name__ == "__main__":
    main()
