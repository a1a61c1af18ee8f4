"""LlamaIndex integration of splade-rag: a retriever over a splade-rag store."""

from llama_index.retrievers.splade_rag.base import LlamaIndexDense, SpladeRetriever

__all__ = ["LlamaIndexDense", "SpladeRetriever"]
