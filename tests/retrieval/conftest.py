"""Passages of the real demo courses, and a small pack with sections in two languages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from learnloop.courses import load_pack
from learnloop.retrieval import Chunk, FakeEmbedder, chunk_material
from learnloop.retrieval.embeddings import Kind
from learnloop.services.demo import DEMO_COURSES_DIR
from tests.conftest import TINY_PACK, write_pack


@pytest.fixture(scope="session")
def demo_chunks() -> dict[str, list[Chunk]]:
    """Course key -> every passage of its materials, both languages."""
    out: dict[str, list[Chunk]] = {}
    for course in ("fractions", "photosynthesis"):
        pack = load_pack(DEMO_COURSES_DIR / course)
        out[course] = [
            chunk
            for m in pack.materials
            for lang, body in m.body.items()
            for chunk in chunk_material(m.id, lang, m.title[lang], body)
        ]
    return out


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, counting the texts it embeds of each kind."""

    name = "counting"

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[str, int] = {"query": 0, "passage": 0}

    def embed(self, texts: Sequence[str], *, kind: Kind) -> np.ndarray:
        self.calls[kind] += len(texts)
        return super().embed(texts, kind=kind)


@pytest.fixture
def counting() -> CountingEmbedder:
    return CountingEmbedder()


ADDING_EN = """\
---
id: adding
title: Adding fractions
language: en
concepts: [halves]
---
# Adding fractions

Fractions with the same denominator are added by adding their numerators.

## Different denominators

Rewrite both fractions over a common denominator, such as the lowest common multiple.

## Common mistakes

Adding the denominators as well: 1/2 + 1/3 is not 2/5.
"""

ADDING_ZH = """\
---
id: adding
title: 分数加法
language: zh
concepts: [halves]
---
# 分数加法

同分母分数相加，分母不变，分子相加。

## 异分母分数

先通分，把分母化成相同的，再相加。

## 常见错误

分母也相加：1/2 + 1/3 不等于 2/5。
"""

HISTORY_EN = """\
---
id: history
title: Egyptian fractions
language: en
concepts: [halves]
---
# Egyptian fractions

The ancient Egyptians wrote every fraction as a sum of unit fractions, like 1/2 + 1/4.
"""

SEARCH_PACK = {
    **TINY_PACK,
    "materials/adding.en.md": ADDING_EN,
    "materials/adding.zh.md": ADDING_ZH,
    "materials/history.en.md": HISTORY_EN,
}


@pytest.fixture
def search_pack(tmp_path: Path) -> Path:
    """The tiny course with a page in two languages and sections, and an English-only page."""
    return write_pack(tmp_path / "tiny", SEARCH_PACK)
