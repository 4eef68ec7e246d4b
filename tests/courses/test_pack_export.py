"""Export writes a pack that loads back to the same course, and that a person can edit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from learnloop.courses import export_pack, load_pack
from learnloop.domain import (
    Choice,
    Concept,
    Course,
    CoursePack,
    ExpressionAnswer,
    FreeTextAnswer,
    Item,
    ItemType,
    Material,
    MultipleChoiceAnswer,
    NumericAnswer,
    TextAnswer,
)
from learnloop.errors import ConflictError

PackFactory = Callable[..., Path]


def rich_pack() -> CoursePack:
    """Every item type, every optional field, Chinese text and any-language ('*') text."""
    return CoursePack(
        course=Course(
            id="photosynthesis",
            title={"en": "Photosynthesis", "zh": "光合作用"},
            description={"*": "Plants make food.\nFrom light."},
            languages=["en", "zh"],
            version="2.0",
            settings={"review_threshold": 0.7, "strict": True, "max_tries": 3, "tone": "warm"},
        ),
        concepts=[
            Concept(id="light", name={"en": "Light", "zh": "光"}),
            Concept(
                id="chlorophyll",
                name={"*": "Chlorophyll"},
                description={"zh": "叶绿素：吸收光的色素。"},
                prerequisites=["light"],
            ),
        ],
        items=[
            Item(
                id="mc-1",
                type=ItemType.MULTIPLE_CHOICE,
                prompt={"en": "Which colour is reflected?", "zh": "哪种颜色被反射？"},
                concepts=["chlorophyll", "light"],
                answer=MultipleChoiceAnswer(
                    choices=[
                        Choice(id="a", text={"en": "green", "zh": "绿色"}, correct=True),
                        Choice(id="b", text={"*": "0.5"}, feedback={"zh": "不对：红光被吸收。"}),
                        Choice(id="c", text={"*": "blue"}, correct=True, feedback={"*": ""}),
                    ],
                    multiple=True,
                    shuffle=False,
                ),
                hints=[{"*": "Look at a leaf."}, {"en": "Not red.", "zh": "不是红色。"}],
                explanation={"en": "Chlorophyll reflects green.\n\nIt absorbs the rest.\n"},
                difficulty=0.25,
            ),
            Item(
                id="num-1",
                type=ItemType.NUMERIC,
                prompt={"*": "How many? Answer: 3/4"},
                concepts=["light"],
                answer=NumericAnswer(
                    value="1 1/2",
                    tolerance=0.01,
                    relative_tolerance=0.1,
                    unit="cm",
                    units={"mm": 0.1, "m": 100.0},
                    forms=["fraction", "mixed"],
                    simplest_form=True,
                ),
            ),
            Item(
                id="ex-1",
                type=ItemType.EXPRESSION,
                prompt={"*": "Write y in terms of x"},
                concepts=["light"],
                answer=ExpressionAnswer(expression="y = 2x + 1", variables=["x", "y"]),
                difficulty=1.0,
            ),
            Item(
                id="tx-1",
                type=ItemType.TEXT,
                prompt={"zh": "这种色素叫什么？", "en": "Name the pigment"},
                concepts=["chlorophyll"],
                answer=TextAnswer(
                    accept=["chlorophyll", "叶绿素", "yes", "null", "#1"],
                    patterns=["chloroph[iy]ll"],
                    case_sensitive=True,
                ),
            ),
            Item(
                id="ft-1",
                type=ItemType.FREE_TEXT,
                prompt={"en": "Why are leaves green?", "zh": "为什么叶子是绿色的？"},
                concepts=["chlorophyll"],
                answer=FreeTextAnswer(min_words=5),
                reference_answers=[
                    {"en": "Chlorophyll reflects green light.", "zh": "叶绿素反射绿光。"}
                ],
                rubric=[{"*": "mentions chlorophyll"}, {"*": "mentions reflection"}],
            ),
            Item(
                id="ft-2",
                type=ItemType.FREE_TEXT,
                prompt={"*": "Explain: what is light?"},
                concepts=["light"],
                answer=FreeTextAnswer(),
                reference_answers=[{"*": "Energy."}],
            ),
        ],
        materials=[
            Material(
                id="light",
                title={"*": "Light", "zh": "光"},
                concepts=["light"],
                body={"zh": "# 光\n\n光是能量。\n", "en": "# Light\n---\nLight is energy."},
            ),
            Material(
                id="any",
                title={"*": "Any"},
                body={"*": "Same for all.\n"},
                order=1,
            ),
            Material(
                id="pigments",
                title={"en": "Pigments", "zh": "色素"},
                concepts=["chlorophyll", "light"],
                body={"en": "Green.\r\nWindows line.\r\n"},
                order=2,
            ),
        ],
    )


def test_rich_pack_round_trips_exactly(tmp_path: Path) -> None:
    pack = rich_pack()
    export_pack(pack, tmp_path / "out")
    assert load_pack(tmp_path / "out") == pack


def test_export_of_a_loaded_pack_round_trips(tiny_pack: Path, tmp_path: Path) -> None:
    pack = load_pack(tiny_pack)
    export_pack(pack, tmp_path / "out")
    again = load_pack(tmp_path / "out")
    assert again == pack
    assert again.items[0].prompt["zh"] == "1 的一半是多少？"


def test_exported_yaml_reads_like_hand_written_yaml(tmp_path: Path) -> None:
    export_pack(rich_pack(), tmp_path)
    course = (tmp_path / "course.yaml").read_text(encoding="utf-8")
    assert course.startswith("id: photosynthesis\ntitle: {en: Photosynthesis, zh: 光合作用}\n")
    assert "description: |-\n  Plants make food.\n  From light.\n" in course
    concepts = (tmp_path / "concepts.yaml").read_text(encoding="utf-8")
    assert concepts.startswith("- id: light\n  name: {en: Light, zh: 光}\n")
    assert "  name: Chlorophyll\n" in concepts  # '*' text is a plain string
    assert "  prerequisites: [light]\n" in concepts
    assert "\\u" not in concepts
    files = sorted(p.name for p in (tmp_path / "items").iterdir())
    assert files == [
        "001-chlorophyll.yaml",
        "002-light.yaml",
        "003-chlorophyll.yaml",
        "004-light.yaml",
    ]
    first = (tmp_path / "items" / "001-chlorophyll.yaml").read_text(encoding="utf-8")
    assert first.startswith("- id: mc-1\n  type: multiple_choice\n  concepts: [chlorophyll, light]")
    assert "- {id: a, text: {en: green, zh: 绿色}, correct: true}" in first
    ft2 = (tmp_path / "items" / "004-light.yaml").read_text(encoding="utf-8")
    assert "\n  answer:" not in ft2  # a default free-text answer is left out
    page = (tmp_path / "materials" / "light.zh.md").read_text(encoding="utf-8")
    assert (
        page
        == "---\nid: light\ntitle: 光\nlanguage: zh\nconcepts: [light]\n---\n# 光\n\n光是能量。\n"
    )
    assert (tmp_path / "materials" / "any.md").exists()


def test_export_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ConflictError, match=r"not empty.*overwrite=True"):
        export_pack(rich_pack(), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_export_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(ConflictError, match="not a folder"):
        export_pack(rich_pack(), tmp_path / "f")


def test_overwrite_replaces_the_pack_and_keeps_other_files(tmp_path: Path) -> None:
    pack = rich_pack()
    export_pack(pack, tmp_path)
    (tmp_path / "items" / "000-stale.yaml").write_text("- id: stale\n")
    (tmp_path / "materials" / "stale.md").write_text("---\nid: stale\n---\n")
    (tmp_path / "README.md").write_text("notes")
    smaller = pack.model_copy(update={"items": pack.items[:2], "materials": pack.materials[:1]})
    export_pack(smaller, tmp_path, overwrite=True)
    assert load_pack(tmp_path) == smaller
    assert (tmp_path / "README.md").read_text() == "notes"


def test_ids_differing_only_in_case_get_distinct_files(tmp_path: Path) -> None:
    pack = rich_pack()
    twins = [
        Material(id="Page", title={"*": "Upper"}, body={"en": "U"}),
        Material(id="page", title={"*": "lower"}, body={"en": "l"}),
    ]
    pack = pack.model_copy(update={"materials": twins})
    export_pack(pack, tmp_path)
    assert len(list((tmp_path / "materials").iterdir())) == 2
    assert load_pack(tmp_path) == pack
