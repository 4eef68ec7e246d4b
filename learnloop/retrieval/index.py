"""Hybrid search over passages: BM25 keywords and embedding cosine, fused by rank.

Keywords find the exact terms a student uses (*denominator*, 6CO2, 叶绿体); embeddings find
passages that say the same thing in other words. The two scores live on different scales,
so they are fused by rank instead: reciprocal-rank fusion gives a passage
``sum(1 / (rrf_k + rank))`` over the methods that retrieved it (Cormack et al. 2009, k=60),
which needs no tuning and lets either method alone put a passage on top.

Pure: no database and no model loading of its own; ``services.retrieval`` stores passages
and their vectors and builds this from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from learnloop.retrieval.chunking import Chunk
from learnloop.retrieval.embeddings import Embedder
from learnloop.retrieval.tokens import guess_language, tokenize

Method = Literal["bm25", "dense"]
ANY_LANGUAGE = "*"


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    """The fused score: the sum of ``1 / (rrf_k + rank)`` over ``ranks``."""
    ranks: dict[str, int] = field(default_factory=dict)
    """1-based rank in each method that retrieved the passage (``bm25``, ``dense``)."""


class HybridIndex:
    """BM25 over every passage, plus cosine similarity when an embedder is given.

    ``embeddings`` are the passages' stored vectors (rows in ``chunks`` order) from the same
    ``embedder``; without them they are computed here. Without an embedder the index is
    keyword-only.
    """

    def __init__(
        self,
        chunks: Sequence[Chunk],
        *,
        embedder: Embedder | None = None,
        embeddings: np.ndarray | None = None,
        rrf_k: int = 60,
        depth: int = 100,
        stem: bool = True,
    ) -> None:
        self.chunks = list(chunks)
        self.embedder = embedder
        self.rrf_k = rrf_k
        self.depth = depth
        self.stem = stem
        self._bm25 = _bm25([tokenize(c.search_text, stem=stem) for c in self.chunks])
        self.embeddings: np.ndarray | None = None
        if embedder is not None:
            if embeddings is None:
                embeddings = embedder.embed([c.search_text for c in self.chunks], kind="passage")
            if embeddings.shape != (len(self.chunks), embedder.dim):
                raise ValueError(
                    f"{embeddings.shape[0]} vectors of {embeddings.shape[1]} dimensions for "
                    f"{len(self.chunks)} passages and a {embedder.dim}-dimensional {embedder.name}"
                )
            self.embeddings = np.asarray(embeddings, dtype=np.float32)
        self._versions = {(c.material, c.language) for c in self.chunks}

    @property
    def methods(self) -> tuple[Method, ...]:
        return ("bm25", "dense") if self.embeddings is not None else ("bm25",)

    def search(
        self,
        query: str,
        k: int = 3,
        *,
        language: str | None = None,
        methods: Sequence[Method] | None = None,
    ) -> list[Hit]:
        """The ``k`` best passages for ``query``, best first.

        ``language`` (default: guessed from the query's script) is preferred: a passage in
        another language is moved behind the rest when its material also exists in the
        preferred one, so a student reads their own language first yet still gets a page
        that has no translation. ``methods`` restricts the ranking; by default both are used,
        except that a query in a language the embedding model does not know (Chinese for
        MiniLM) is left to keywords, as its embedding would only add noise.
        """
        use = [m for m in (methods or self._methods_for(query)) if m in self.methods]
        rankings: dict[str, list[int]] = {}
        if "bm25" in use:
            rankings["bm25"] = self._rank_bm25(query)
        if "dense" in use:
            rankings["dense"] = self._rank_dense(query)
        fused: dict[int, float] = {}
        ranks: dict[int, dict[str, int]] = {}
        for method, order in rankings.items():
            for rank, doc in enumerate(order[: self.depth], start=1):
                fused[doc] = fused.get(doc, 0.0) + 1.0 / (self.rrf_k + rank)
                ranks.setdefault(doc, {})[method] = rank
        order = sorted(fused, key=lambda d: (-fused[d], d))
        preferred = language or guess_language(query)
        if preferred:
            order.sort(key=lambda d: self._demoted(self.chunks[d], preferred))
        return [Hit(self.chunks[d], fused[d], ranks[d]) for d in order[:k]]

    def _methods_for(self, query: str) -> tuple[Method, ...]:
        known = self.embedder.languages if self.embedder is not None else None
        if known is not None and guess_language(query) not in (None, *known):
            return ("bm25",)
        return self.methods

    def _demoted(self, chunk: Chunk, language: str) -> bool:
        if chunk.language in (language, ANY_LANGUAGE):
            return False
        return (chunk.material, language) in self._versions

    def _rank_bm25(self, query: str) -> list[int]:
        if self._bm25 is None:
            return []
        vocab = self._bm25.vocab_dict
        ids = [vocab[t] for t in tokenize(query, stem=self.stem) if t in vocab]
        if not ids:
            return []
        scores = self._bm25.get_scores_from_ids(ids)
        hits = np.flatnonzero(scores > 0)
        return [int(d) for d in hits[np.argsort(-scores[hits], kind="stable")]]

    def _rank_dense(self, query: str) -> list[int]:
        if self.embeddings is None or self.embedder is None or not self.chunks:
            return []
        q = self.embedder.embed([query], kind="query")[0]
        scores = self.embeddings @ q
        return [int(d) for d in np.argsort(-scores, kind="stable")]


def _bm25(corpus: list[list[str]]) -> Any:
    if not any(corpus):
        return None
    import bm25s

    index = bm25s.BM25()
    index.index(corpus, show_progress=False)
    return index
