"""Hybrid search finds the passage that answers a question, in English and in Chinese."""

from __future__ import annotations

import numpy as np
import pytest

from learnloop.retrieval import Chunk, FakeEmbedder, HybridIndex, tokenize
from learnloop.retrieval.chunking import chunk_material
from tests.retrieval.conftest import CountingEmbedder


def _top(index: HybridIndex, query: str, **kw: object) -> tuple[str, str]:
    hit = index.search(query, 1, **kw)[0]  # type: ignore[arg-type]
    return hit.chunk.material, hit.chunk.anchor


def test_keywords_find_the_answering_section_in_english(
    demo_chunks: dict[str, list[Chunk]],
) -> None:
    fractions = HybridIndex(demo_chunks["fractions"])
    assert fractions.methods == ("bm25",)
    assert _top(fractions, "how many 1/4 cup scoops fit in 3 cups of flour?") == (
        "dividing-fractions",
        "worked-example-in-context",
    )
    photosynthesis = HybridIndex(demo_chunks["photosynthesis"])
    assert _top(photosynthesis, "what is the difference between xylem and phloem?") == (
        "phloem",
        "xylem-and-phloem-compared",
    )


def test_keywords_find_the_answering_section_in_chinese(
    demo_chunks: dict[str, list[Chunk]],
) -> None:
    photosynthesis = HybridIndex(demo_chunks["photosynthesis"])
    assert _top(photosynthesis, "保卫细胞吸水以后，气孔会怎么样？") == ("stomata", "气孔的开闭")
    fractions = HybridIndex(demo_chunks["fractions"])
    assert _top(fractions, "3/8 化成小数是不是 0.38？")[0] == "fractions-decimals"


def test_tokens_fold_case_stem_and_pair_chinese_characters() -> None:
    assert tokenize("Adding the Denominators") == ["add", "denomin"]
    assert tokenize("光合作用") == ["光", "合", "作", "用", "光合", "合作", "作用"]
    assert tokenize("是 ３／５ 吗") == ["3/5", "3", "5"]


def test_fusion_adds_reciprocal_ranks_of_both_methods() -> None:
    chunks = [
        Chunk("a", "en", "A", "", "", 0, "stomata are pores in the leaf epidermis"),
        Chunk("b", "en", "B", "", "", 0, "guard cells open the stomata in light"),
        Chunk("c", "en", "C", "", "", 0, "xylem carries water up from the roots"),
    ]
    index = HybridIndex(chunks, embedder=FakeEmbedder())
    assert index.methods == ("bm25", "dense")
    hits = index.search("stomata in the leaf", 3)
    assert hits[0].chunk.material == "a"
    for hit in hits:
        assert hit.score == pytest.approx(sum(1 / (60 + r) for r in hit.ranks.values()))
    assert set(hits[0].ranks) == {"bm25", "dense"}
    # a passage no keyword matches is still found by its embedding, ranked after the rest
    assert hits[-1].chunk.material == "c" and set(hits[-1].ranks) == {"dense"}
    assert [h.chunk.material for h in index.search("stomata", 3, methods=["bm25"])] == ["a", "b"]


def test_stored_vectors_are_used_instead_of_embedding_the_passages_again() -> None:
    chunks = [Chunk("a", "en", "A", "", "", 0, "phloem"), Chunk("b", "en", "B", "", "", 0, "xylem")]
    embedder = CountingEmbedder()
    vectors = FakeEmbedder().embed([c.search_text for c in chunks], kind="passage")
    index = HybridIndex(chunks, embedder=embedder, embeddings=vectors)
    assert index.search("xylem", 1)[0].chunk.material == "b"
    assert embedder.calls == {"query": 1, "passage": 0}
    with pytest.raises(ValueError, match="2 passages"):
        HybridIndex(chunks, embedder=embedder, embeddings=np.zeros((3, embedder.dim), "float32"))


def _bilingual() -> HybridIndex:
    return HybridIndex(
        [
            *chunk_material("adding", "en", "Adding", "## Rule\n\nAdd the numerators 1/2 + 1/2."),
            *chunk_material("adding", "zh", "加法", "## 法则\n\n分子相加 1/2 + 1/2。"),
            *chunk_material("egypt", "en", "Egypt", "## History\n\nEgyptians wrote 1/2 + 1/4."),
        ],
        embedder=FakeEmbedder(),
    )


def test_a_chinese_question_gets_chinese_passages_first() -> None:
    index = _bilingual()
    hits = index.search("1/2 + 1/2 怎么加", 3)
    assert (hits[0].chunk.material, hits[0].chunk.language) == ("adding", "zh")
    # the English version of a page that exists in Chinese comes last
    assert (hits[-1].chunk.material, hits[-1].chunk.language) == ("adding", "en")


def test_a_page_without_a_translation_is_still_found() -> None:
    index = _bilingual()
    hits = index.search("Egyptians", 2, language="zh")
    assert {(h.chunk.material, h.chunk.language) for h in hits} == {
        ("egypt", "en"),
        ("adding", "zh"),
    }
    english = index.search("1/2 + 1/2", 3, language="en")
    assert [h.chunk.language for h in english][:2] == ["en", "en"]


def test_an_empty_index_or_a_query_without_words_finds_nothing() -> None:
    assert HybridIndex([]).search("anything") == []
    index = HybridIndex(chunk_material("m", "en", "M", "Photosynthesis makes glucose."))
    assert index.search("?!") == []
    assert index.search("the of and") == []


def test_a_question_in_a_language_the_model_does_not_know_is_left_to_keywords() -> None:
    class EnglishOnly(FakeEmbedder):
        languages = ("en",)

    index = HybridIndex(
        chunk_material(
            "m", "zh", "气孔", "## 气孔\n\n气孔由保卫细胞控制。\n\n## 木质部\n\n运输水。"
        ),
        embedder=EnglishOnly(),
    )
    assert [h.ranks for h in index.search("保卫细胞", 2)] == [{"bm25": 1}]
    assert set(index.search("guard cells", 1)[0].ranks) == {"dense"}
    assert set(index.search("保卫细胞", 1, methods=["dense"])[0].ranks) == {"dense"}
