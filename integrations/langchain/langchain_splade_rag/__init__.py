"""LangChain integration of splade-rag: SPLADE sparse embeddings and a hybrid retriever.

`SpladeSparseEmbeddings` plugs into `langchain_qdrant.QdrantVectorStore` (sparse and hybrid
retrieval modes); `SpladeRetriever` searches a `splade_rag.SpladeStore` from any chain.
"""

from langchain_splade_rag.embeddings import SpladeSparseEmbeddings
from langchain_splade_rag.retrievers import SpladeRetriever, format_documents, hit_to_document

__all__ = ["SpladeRetriever", "SpladeSparseEmbeddings", "format_documents", "hit_to_document"]
