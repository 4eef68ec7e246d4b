"""Packs written from Python strings, so each test shows the exact lines it is about."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

PackFactory = Callable[..., Path]

BASE = {
    "course.yaml": """\
        id: fractions
        title: {en: Fractions, zh: 分数}
        languages: [en, zh]
        """,
    "concepts.yaml": """\
        - id: halves
          name: {en: Halves, zh: 二分之一}
        - id: quarters
          name: {en: Quarters, zh: 四分之一}
          prerequisites: [halves]
        """,
    "items/all.yaml": """\
        - id: q1
          type: numeric
          prompt: {en: "What is half of 1?", zh: "1 的一半是多少？"}
          concepts: [halves]
          answer: {value: "1/2"}
        - id: q2
          type: multiple_choice
          prompt: Which equals 1/4?
          concepts: [quarters]
          answer:
            choices:
              - {id: a, text: "0.25", correct: true}
              - {id: b, text: "0.4"}
        """,
}


@pytest.fixture
def make_pack(tmp_path: Path) -> PackFactory:
    """``make_pack(**{"items/x.yaml": "..."})``: the base pack with files added or replaced.

    A value of None removes a base file.
    """
    counter = iter(range(1_000_000))

    def make(files: dict[str, str | None] | None = None, *, base: bool = True) -> Path:
        root = tmp_path / f"pack{next(counter)}"
        merged: dict[str, str | None] = {**(BASE if base else {}), **(files or {})}
        for name, content in merged.items():
            if content is None:
                continue
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(content), encoding="utf-8")
        root.mkdir(parents=True, exist_ok=True)
        return root

    return make
