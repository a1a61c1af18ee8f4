"""A hybrid-search chatbot: multi-turn retrieval, cited answers, and a guard against invention.

`ChatSession` needs no chat model (extractive answers); `LocalChatModel` (the offline SmolLM2)
and any other LangChain chat model need `langchain-core` (`pip install splade-rag[chat]`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from splade_rag.chat.session import Answer, ChatSession

if TYPE_CHECKING:
    from splade_rag.chat.local_model import LocalChatModel

__all__ = ["Answer", "ChatSession", "LocalChatModel"]


def __getattr__(name: str) -> Any:
    if name == "LocalChatModel":
        from splade_rag.chat.local_model import LocalChatModel

        return LocalChatModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
