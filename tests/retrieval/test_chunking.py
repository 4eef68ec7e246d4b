"""Materials split into passages that each know their section and can link to it."""

from __future__ import annotations

from learnloop.retrieval import chunk_material, slugify
from learnloop.retrieval.chunking import MAX_SIZE, size

PAGE = """\
# Adding fractions

When two fractions have the same denominator, you add the numerators.

## Same denominator

2/7 + 3/7 = 5/7.

Keep the denominator.

## Different denominators

Find a common denominator first.

## Common mistakes

- Adding the denominators too.

## Common mistakes

- Forgetting to simplify.
"""


def test_each_passage_knows_its_section_path_and_anchor() -> None:
    chunks = chunk_material("adding", "en", "Adding fractions", PAGE)
    sections = [(c.section, c.anchor) for c in chunks]
    assert sections == [
        ("Adding fractions", "adding-fractions"),
        ("Adding fractions › Same denominator", "same-denominator"),
        ("Adding fractions › Different denominators", "different-denominators"),
        ("Adding fractions › Common mistakes", "common-mistakes"),
        ("Adding fractions › Common mistakes", "common-mistakes-1"),
    ]
    assert [c.position for c in chunks] == [0, 1, 2, 3, 4]
    assert chunks[1].link == "adding#same-denominator"


def test_tiny_paragraphs_join_within_a_section_but_never_across_one() -> None:
    chunks = chunk_material("adding", "en", "Adding fractions", PAGE)
    same = chunks[1]
    assert same.text == "2/7 + 3/7 = 5/7.\n\nKeep the denominator."
    assert "common denominator" not in same.text


def test_search_text_leads_with_title_and_section_once() -> None:
    chunk = chunk_material("adding", "en", "Adding fractions", PAGE)[1]
    assert chunk.search_text.startswith("Adding fractions › Same denominator\n\n2/7 + 3/7")


def test_chinese_headings_get_anchors_that_link() -> None:
    page = "# 同分母分数加减法\n\n分母不变。\n\n## 例题 1：减法\n\n计算 5/8 − 1/8。\n"
    chunks = chunk_material("add-like", "zh", "同分母分数加减法", page)
    assert [c.anchor for c in chunks] == ["同分母分数加减法", "例题-1减法"]
    assert chunks[1].section == "同分母分数加减法 › 例题 1：减法"
    assert chunks[1].link == "add-like#%E4%BE%8B%E9%A2%98-1%E5%87%8F%E6%B3%95"


def test_slugs_drop_markup_and_punctuation() -> None:
    assert slugify("Worked example: **an answer** greater than 1") == (
        "worked-example-an-answer-greater-than-1"
    )
    assert slugify("Where does a plant's mass come from?") == "where-does-a-plants-mass-come-from"
    assert slugify("[Xylem](xylem.md) vs `phloem`") == "xylem-vs-phloem"
    assert slugify("？！") == ""


def test_text_before_any_heading_has_no_section() -> None:
    chunks = chunk_material("intro", "en", "Intro", "Just a paragraph with no heading at all.\n")
    assert (chunks[0].section, chunks[0].anchor, chunks[0].link) == ("", "", "intro")
    assert chunks[0].search_text.startswith("Intro\n\n")


def test_a_long_paragraph_is_cut_between_sentences() -> None:
    sentence = "Chlorophyll absorbs red and blue light and reflects most of the green light. "
    page = "## Pigments\n\n" + sentence * 40
    chunks = chunk_material("pigments", "en", "Pigments", page)
    assert len(chunks) > 1
    assert all(size(c.text) <= MAX_SIZE for c in chunks)
    assert all(c.text.endswith("light.") for c in chunks)
    assert {c.anchor for c in chunks} == {"pigments"}


def test_a_long_chinese_paragraph_is_cut_after_full_stops() -> None:
    page = "## 色素\n\n" + "叶绿素主要吸收红光和蓝紫光，反射绿光。" * 30
    chunks = chunk_material("pigments", "zh", "色素", page)
    assert len(chunks) > 1
    assert all(c.text.endswith("。") for c in chunks)
    assert "".join(c.text for c in chunks) == "叶绿素主要吸收红光和蓝紫光，反射绿光。" * 30


def test_code_blocks_and_display_formulas_stay_whole() -> None:
    code = "```python\n" + "\n".join(f"x{i} = {i}  # step {i}" for i in range(200)) + "\n\n```"
    formula = "$$\n\\frac{a}{b} + \\frac{c}{d}\n\n= \\frac{ad + bc}{bd}\n$$"
    page = f"## Code\n\n{code}\n\n## Formula\n\n{formula}\n\nA tiny note.\n"
    chunks = chunk_material("m", "en", "M", page)
    assert chunks[0].text == code
    assert formula in chunks[1].text
    assert "# Formula" not in chunks[0].text


def test_a_long_list_is_cut_between_items() -> None:
    items = "\n".join(
        f"- Item {i}: the guard cells swell and the stoma opens wide." for i in range(60)
    )
    chunks = chunk_material("m", "en", "M", f"## List\n\n{items}\n")
    assert len(chunks) > 1
    assert all(line.startswith("- Item") for c in chunks for line in c.text.splitlines())


def test_setext_headings_count_as_headings() -> None:
    chunks = chunk_material("m", "en", "M", "Stomata\n=======\n\nTiny pores in a leaf.\n")
    assert (chunks[0].section, chunks[0].anchor) == ("Stomata", "stomata")
