"""Course-material search: passages, keyword and embedding indexes, rank fusion.

::

    chunks = chunk_material("add-subtract-like", "en", "Adding fractions", markdown)
    index = HybridIndex(chunks, embedder=make_embedder("auto"))
    for hit in index.search("why don't the bottoms get added?", k=3):
        print(hit.chunk.link, hit.chunk.section, hit.score, hit.ranks)

Stored indexes, and search by course, are ``learnloop.services.retrieval``'s
(``index_course``, ``search_course``). Nothing here needs torch: models load on first use.
"""

from __future__ import annotations

from learnloop.retrieval.chunking import Chunk, chunk_material, slugify
from learnloop.retrieval.embeddings import (
    EMBEDDERS,
    E5Embedder,
    Embedder,
    FakeEmbedder,
    MiniLMEmbedder,
    make_embedder,
)
from learnloop.retrieval.index import Hit, HybridIndex
from learnloop.retrieval.tokens import tokenize

__all__ = [
    "EMBEDDERS",
    "Chunk",
    "E5Embedder",
    "Embedder",
    "FakeEmbedder",
    "Hit",
    "HybridIndex",
    "MiniLMEmbedder",
    "chunk_material",
    "make_embedder",
    "slugify",
    "tokenize",
]
