"""LlamaIndex integration of splade-rag: SPLADE sparse embeddings and Qdrant store hooks.

`SpladeSparseEmbedding` is a `BaseSparseEmbedding`; `sparse_doc_fn`, `sparse_query_fn` and
`hybrid_fusion_fn` plug SPLADE and splade-rag's fusion into
`llama_index.vector_stores.qdrant.QdrantVectorStore(enable_hybrid=True)`.
"""

from llama_index.sparse_embeddings.splade_rag.base import (
    SpladeSparseEmbedding,
    hybrid_fusion_fn,
    sparse_doc_fn,
    sparse_query_fn,
)

__all__ = ["SpladeSparseEmbedding", "hybrid_fusion_fn", "sparse_doc_fn", "sparse_query_fn"]
