"""Loading valid packs: what authors write is what the course holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from learnloop.courses import load_pack, read_pack, validate_pack
from learnloop.domain import ItemType
from learnloop.errors import CoursePackError

PackFactory = Callable[..., Path]


def test_the_shared_tiny_pack_loads(tiny_pack: Path) -> None:
    pack = load_pack(tiny_pack)
    assert validate_pack(tiny_pack) == []
    assert pack.course.id == "tiny"
    assert [c.id for c in pack.concepts] == ["halves", "quarters"]
    assert [i.type for i in pack.items] == [
        ItemType.NUMERIC,
        ItemType.MULTIPLE_CHOICE,
        ItemType.FREE_TEXT,
    ]
    [material] = pack.materials
    assert material.title == {"en": "Halves", "zh": "二分之一"}
    assert material.body["zh"] == "# 二分之一\n把一个整体平均分成两份，每份是二分之一。\n"


def test_plain_strings_mean_every_language(make_pack: PackFactory) -> None:
    pack = load_pack(make_pack())
    assert pack.items[1].prompt == {"*": "Which equals 1/4?"}
    assert pack.items[0].prompt == {"en": "What is half of 1?", "zh": "1 的一半是多少？"}


def test_numbers_where_text_is_expected_are_read_as_written(make_pack: PackFactory) -> None:
    root = make_pack(
        {
            "course.yaml": """\
                id: fractions
                title: Fractions
                languages: [en, zh]
                version: 1.10
                """,
            "items/all.yaml": """\
                - id: q1
                  type: numeric
                  prompt: Half of one?
                  concepts: [halves, quarters]
                  answer: {value: 0.50}
                - id: q2
                  type: multiple_choice
                  prompt: Pick
                  concepts: [quarters]
                  answer:
                    choices:
                      - {id: 1, text: 0.250, correct: true}
                      - {id: 2, text: {en: 1e3}}
                """,
        }
    )
    pack = load_pack(root)
    assert pack.course.version == "1.10"
    assert pack.items[0].answer.value == "0.50"  # type: ignore[union-attr]
    choices = pack.items[1].answer.choices  # type: ignore[union-attr]
    assert [(c.id, c.text) for c in choices] == [("1", {"*": "0.250"}), ("2", {"en": "1e3"})]


def test_material_language_comes_from_front_matter_then_suffix_then_course(
    make_pack: PackFactory,
) -> None:
    root = make_pack(
        {
            "materials/halves.md": "---\nid: halves\ntitle: Halves\n---\nEnglish\n",
            "materials/halves.zh.md": "---\nid: halves\ntitle: 一半\n---\n中文\n",
            "materials/notes.v2.md": "---\nid: q\ntitle: Q\nlanguage: zh\norder: -1\n---\n问\n",
        }
    )
    pack = load_pack(root)
    assert [m.id for m in pack.materials] == ["q", "halves"]  # by order, then id
    q, halves = pack.materials
    assert halves.body == {"en": "English\n", "zh": "中文\n"}
    assert halves.title == {"en": "Halves", "zh": "一半"}
    assert q.body == {"zh": "问\n"} and q.order == -1


def test_materials_merge_concepts_given_in_one_file(make_pack: PackFactory) -> None:
    root = make_pack(
        {
            "materials/a.en.md": "---\nid: a\ntitle: A\nconcepts: [halves]\norder: 2\n---\nx",
            "materials/a.zh.md": "---\nid: a\ntitle: 甲\n---\ny",
        }
    )
    [material] = load_pack(root).materials
    assert (material.concepts, material.order) == (["halves"], 2)
    assert material.body == {"en": "x", "zh": "y"}


def test_windows_line_endings_are_kept_in_bodies(make_pack: PackFactory) -> None:
    root = make_pack()
    (root / "materials").mkdir()
    (root / "materials" / "a.md").write_bytes(b"---\r\nid: a\r\ntitle: A\r\n---\r\nline\r\n")
    [material] = load_pack(root).materials
    assert material.body == {"en": "line\r\n"}


def test_warnings_do_not_stop_loading(make_pack: PackFactory) -> None:
    root = make_pack(
        {"concepts.yaml": BASE_CONCEPTS + "- id: thirds\n  name: Thirds\n"},
    )
    pack, problems = read_pack(root)
    assert pack is not None and [c.id for c in pack.concepts][-1] == "thirds"
    [warning] = problems
    assert (warning.file, warning.line, warning.code, warning.severity) == (
        "concepts.yaml",
        6,
        "concept_without_items",
        "warning",
    )
    assert "concepts: [thirds]" in warning.hint
    assert load_pack(root) == pack


def test_load_raises_with_every_problem(make_pack: PackFactory) -> None:
    root = make_pack({"concepts.yaml": "- id: a\n- id: b\n"})
    with pytest.raises(CoursePackError) as info:
        load_pack(root)
    errors = [(p.line, p.code) for p in info.value.problems if p.severity == "error"]
    assert errors == [
        (1, "missing_field"),
        (2, "missing_field"),
        (4, "unknown_concept"),
        (9, "unknown_concept"),
    ]
    message = str(info.value)
    assert "has 4 problems and 2 warnings; first: concepts.yaml:1: concept 'a'" in message


def test_a_missing_folder_is_one_clear_problem(tmp_path: Path) -> None:
    [problem] = validate_pack(tmp_path / "nowhere")
    assert problem.code == "missing_file" and "does not exist" in problem.message


BASE_CONCEPTS = """\
- id: halves
  name: {en: Halves, zh: 二分之一}
- id: quarters
  name: {en: Quarters, zh: 四分之一}
  prerequisites: [halves]
"""


def test_numeric_ids_are_ids(make_pack: PackFactory) -> None:
    root = make_pack(
        {
            "concepts.yaml": "- id: 1\n  name: One\n- id: 2\n  name: Two\n  prerequisites: [1]\n",
            "items/all.yaml": "- {id: 10, type: text, prompt: p, concepts: [1, 2], "
            "answer: {accept: [x]}}\n- {id: 10, type: text, prompt: p, concepts: [3], "
            "answer: {accept: [x]}}\n",
        }
    )
    problems = validate_pack(root)
    assert [(p.line, p.code) for p in problems] == [(2, "duplicate_id"), (2, "unknown_concept")]
    (root / "items" / "all.yaml").write_text(
        "- {id: 10, type: text, prompt: p, concepts: [1, 2], answer: {accept: [x]}}\n"
    )
    pack = load_pack(root)
    assert pack.concepts[1].prerequisites == ["1"] and pack.items[0].concepts == ["1", "2"]


def test_a_folded_block_reads_as_plain_text_without_fold_marks() -> None:
    from learnloop.courses.yamlio import parse_yaml

    source = parse_yaml("description: >-\n  one two\n  three four\n\n  five\n", "course.yaml")
    assert source.data == {"description": "one two three four\nfive"}
