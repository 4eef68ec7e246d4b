"""What validation tells an author: every problem, at its file and line, with a useful hint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from learnloop.courses import validate_pack
from learnloop.errors import CoursePackError, Problem

PackFactory = Callable[..., Path]

TEN_ERRORS: dict[str, str | None] = {
    "items/all.yaml": None,
    "concepts.yaml": """\
        - id: fraction-meaning
          name: {en: Meaning, zh: 意义}
        - id: equivalent-fractions
          name: Equivalent fractions
          prerequisites: [fraction-meaning, fraction-meening]
        - id: adding
          name: Adding
          prerequisites: [comparing]
        - id: comparing
          name: Comparing
          prerequisites: [adding]
        """,
    "items/a.yaml": """\
        - id: q1
          type: numeric
          prompt: What is 1/2 + 1/4?
          concepts: [adding]
          answer: {value: 3/4}
        - id: q2
          type: numeric
          prompt: Half of 1?
          concepts: [halfs]
          answer: {value: "0.5"}
        - id: q1
          type: text
          prompt: Name it
          concepts: [comparing]
          answer: {accept: [half]}
        - id: q3
          type: numeric
          prompt: How many quarters make a half?
          concepts: [equivalent-fractions]
        - id: q4
          type: ordering
          prompt: Order them
          concepts: [fraction-meaning]
          answer: {order: [a, b]}
        - id: q5
          type: numeric
          prompt: 2/4 as a decimal?
          concepts: [equivalent-fractions]
          hint: Divide.
          answer: {value: "0.5"}
        - id: q6
          type: numeric
          prompt: Two quarters?
          concepts: [equivalent-fractions]
          answer: {value: two quarters}
        """,
    "items/b.yaml": """\
        - id: q7
          type: text
          prompt: Ratio: 3/4
          concepts: [adding]
          answer: {accept: ["3/4"]}
        """,
    "materials/intro.md": "# Fractions\nA fraction names part of a whole.\n",
}

EXPECTED = [
    ("concepts.yaml", 5, "unknown_concept"),
    ("concepts.yaml", 8, "prerequisite_cycle"),
    ("items/a.yaml", 9, "unknown_concept"),
    ("items/a.yaml", 11, "duplicate_id"),
    ("items/a.yaml", 16, "missing_answer"),
    ("items/a.yaml", 21, "unknown_item_type"),
    ("items/a.yaml", 29, "unknown_field"),
    ("items/a.yaml", 35, "bad_number"),
    ("items/b.yaml", 3, "bad_yaml"),
    ("materials/intro.md", 1, "no_front_matter"),
]


def where(problems: list[Problem]) -> list[tuple[str, int | None, str]]:
    return [(p.file, p.line, p.code) for p in problems]


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def test_ten_planted_errors_are_all_reported_where_they_are(make_pack: PackFactory) -> None:
    problems = validate_pack(make_pack(TEN_ERRORS))
    assert where(problems) == EXPECTED, "\n".join(map(str, problems))
    assert all(p.severity == "error" and p.hint for p in problems)
    text = {p.code + str(p.line): str(p) for p in problems}
    assert "fraction-meening" in text["unknown_concept5"]
    assert "did you mean 'fraction-meaning'?" in text["unknown_concept5"]
    assert "adding -> comparing -> adding" in text["prerequisite_cycle8"]
    assert "halfs" in text["unknown_concept9"]
    assert "items/a.yaml:1" in text["duplicate_id11"]
    assert "did you mean 'hints'?" in text["unknown_field29"]
    assert "'two quarters'" in text["bad_number35"]


def test_load_error_carries_all_ten(make_pack: PackFactory) -> None:
    from learnloop.courses import load_pack

    with pytest.raises(CoursePackError) as info:
        load_pack(make_pack(TEN_ERRORS))
    assert len(info.value.problems) == 10
    assert "has 10 problems; first: concepts.yaml:5:" in str(info.value)


def item(kind: str, answer: str = "", **fields: str) -> dict[str, str | None]:
    """items/all.yaml with one item ``q`` (lines 1-4), then ``answer`` from line 5."""
    extra = "".join(f"  {k}: {v}\n" for k, v in fields.items())
    head = f"- id: q\n  type: {kind}\n  prompt: p\n  concepts: [halves, quarters]\n{extra}"
    return {"items/all.yaml": head + answer}


def concepts(text: str) -> dict[str, str | None]:
    """concepts.yaml with halves and quarters (lines 1-4), then ``text`` from line 5."""
    return {"concepts.yaml": "- id: halves\n  name: H\n- id: quarters\n  name: Q\n" + text}


def page(name: str, text: str) -> dict[str, str | None]:
    return {f"materials/{name}": text}


Case = tuple[dict[str, str | None], str, str, str, str]
"""files, 'file:line', code, words of the message, words of the hint."""

# fmt: off
CASES: dict[str, Case] = {
    "bad yaml in course.yaml": (
        {"course.yaml": "id: fractions\ntitle: [Fractions\nlanguages: [en]\n"},
        "course.yaml:3", "bad_yaml", "bad YAML", "starts on line 2"),
    "missing course.yaml": (
        {"course.yaml": None}, "course.yaml", "missing_file", "no course.yaml", "id, title"),
    "missing concepts.yaml": (
        {"concepts.yaml": None}, "concepts.yaml", "missing_file", "no concepts.yaml",
        "a list of concepts"),
    "concepts under a key": (
        {"concepts.yaml": "concepts:\n  - id: halves\n    name: Halves\n"},
        "concepts.yaml:1", "not_a_list", "should be a list", "remove the 'concepts:' line"),
    "course.yaml is a list": (
        {"course.yaml": "- id: x\n"}, "course.yaml:1", "not_a_mapping", "course.yaml", "id:"),
    "item that is not a mapping": (
        item("text", "  answer: {accept: [x]}\n- just words\n"),
        "items/all.yaml:6", "not_a_mapping", "item #2 should be", "- id: ..."),
    "unknown field": (
        concepts("- id: thirds\n  name: T\n  descripton: x\n"),
        "concepts.yaml:7", "unknown_field", "'descripton'", "did you mean 'description'?"),
    "unknown answer field": (
        item("numeric", "  answer:\n    value: '1'\n    tolerence: 0.1\n"),
        "items/all.yaml:7", "unknown_field", "tolerence", "allowed fields: value, tolerance"),
    "answer field on the item": (
        item("text", "  answer: {accept: [x]}\n  patterns: [y]\n"),
        "items/all.yaml:6", "unknown_field", "'patterns'", "belongs under 'answer:'"),
    "missing required field": (
        concepts("- id: thirds\n"),
        "concepts.yaml:5", "missing_field", "missing 'name'", "add 'name:'"),
    "item without id": (
        {"items/all.yaml": "- type: text\n  prompt: p\n  concepts: [halves, quarters]\n"
                           "  answer: {accept: [x]}\n"},
        "items/all.yaml:1", "missing_field", "item #1: missing 'id'", "add 'id:'"),
    "missing field in a choice": (
        item("multiple_choice", "  answer:\n    choices:\n      - {id: a, text: x, correct: true}\n"
                                "      - {id: b}\n"),
        "items/all.yaml:8", "missing_field", "answer.choices[1] is missing 'text'", "add 'text:'"),
    "wrong type": (
        {"items/all.yaml": "- id: q\n  type: text\n  prompt: p\n  concepts: halves\n"
                           "  answer: {accept: [x]}\n"},
        "items/all.yaml:4", "invalid_value", "concepts should be a list", "write a list: [halves]"),
    "value out of range": (
        item("text", "  answer: {accept: [x]}\n", difficulty="2"),
        "items/all.yaml:5", "invalid_value", "difficulty", ""),
    "bad id": (
        concepts("- id: one half\n  name: Half\n"),
        "concepts.yaml:5", "invalid_value", "'one half' is not a valid id", "letters, digits"),
    "duplicate concept id": (
        concepts("- id: halves\n  name: C\n"),
        "concepts.yaml:5", "duplicate_id", "duplicate concept id 'halves'", "concepts.yaml:1"),
    "duplicate key": (
        concepts("- id: thirds\n  name: A\n  name: B\n"),
        "concepts.yaml:7", "duplicate_key", "duplicate key 'name'", "line 6"),
    "duplicate choice id": (
        item("multiple_choice", "  answer:\n    choices:\n      - {id: a, text: x, correct: true}\n"
                                "      - {id: a, text: y}\n"),
        "items/all.yaml:8", "duplicate_id", "choice id 'a' is used twice", "line 7"),
    "no correct choice": (
        item("multiple_choice", "  answer:\n    choices:\n      - {id: a, text: x}\n"
                                "      - {id: b, text: y}\n"),
        "items/all.yaml:6", "missing_answer", "no choice is marked correct", "correct: true"),
    "answer of another type": (
        item("numeric", "  answer:\n    type: text\n    accept: [x]\n"),
        "items/all.yaml:6", "invalid_value", "answer says type 'text'", "remove 'type'"),
    "duplicate material language": (
        {**page("a.md", "---\nid: a\ntitle: A\n---\nx\n"),
         **page("b.md", "---\nid: a\ntitle: A\nlanguage: en\n---\ny\n")},
        "materials/b.md:2", "duplicate_id", "second 'en' page", "materials/a.md:2"),
    "unknown concept in a material": (
        page("a.md", "---\nid: a\ntitle: A\nconcepts: [halves, quartres]\n---\nx\n"),
        "materials/a.md:4", "unknown_concept", "'quartres'", "did you mean 'quarters'?"),
    "self prerequisite": (
        concepts("- id: thirds\n  name: T\n  prerequisites: [thirds]\n"),
        "concepts.yaml:7", "prerequisite_cycle", "thirds -> thirds", "remove one"),
    "free text without reference answers": (
        item("free_text"),
        "items/all.yaml:1", "missing_answer", "no reference_answers", "reference_answers:"),
    "text item accepting nothing": (
        item("text", "  answer: {case_sensitive: true}\n"),
        "items/all.yaml:5", "missing_answer", "accepts no answer", "accept:"),
    "unknown item type": (
        item("multiple-choice", "  answer: {choices: []}\n"),
        "items/all.yaml:2", "unknown_item_type", "'multiple-choice'",
        "did you mean 'multiple_choice'? valid types: multiple_choice, numeric, expression"),
    "language not offered": (
        item("text", "  answer: {accept: [red]}\n", explanation="{en: Red., fr: Rouge.}"),
        "items/all.yaml:5", "unknown_language", "text in 'fr'", "languages are en, zh"),
    "course language not supported": (
        {"course.yaml": "id: c\ntitle: C\nlanguages: [en, zh, de]\n"},
        "course.yaml:3", "unknown_language", "'de'", "supported: en, zh"),
    "material in a language not offered": (
        page("a.fr.md", "---\nid: a\ntitle: A\n---\nx\n"),
        "materials/a.fr.md:2", "unknown_language", "'fr' (from its file name)", "en, zh"),
    "front matter not closed": (
        page("a.md", "---\nid: a\ntitle: A\n# A\n"),
        "materials/a.md:1", "bad_front_matter", "not closed", "'---'"),
    "front matter not a mapping": (
        page("a.md", "---\n- a\n---\nx\n"),
        "materials/a.md:1", "bad_front_matter", "not a set", "'id: ...'"),
    "bad yaml in front matter": (
        page("a.md", "---\nid: a\ntitle: A: B\n---\nx\n"),
        "materials/a.md:3", "bad_yaml", "mapping values", "quoted"),
    "material without id": (
        page("a.md", "---\ntitle: A\n---\nx\n"),
        "materials/a.md:1", "missing_field", "no 'id'", "id: <page-name>"),
    "material without title": (
        page("a.md", "---\nid: a\n---\nx\n"),
        "materials/a.md:2", "missing_field", "no title", "title:"),
    "material files disagree": (
        {**page("a.en.md", "---\nid: a\ntitle: A\nconcepts: [halves]\n---\nx\n"),
         **page("a.zh.md", "---\nid: a\ntitle: 甲\nconcepts: [quarters]\n---\ny\n")},
        "materials/a.zh.md:4", "material_mismatch", "'concepts' differs", "materials/a.en.md"),
    "empty prompt": (
        {"items/all.yaml": "- id: q\n  type: text\n  prompt:\n  concepts: [halves, quarters]\n"
                           "  answer: {accept: [x]}\n"},
        "items/all.yaml:3", "empty_prompt", "prompt is empty", "write the question"),
    "empty translation of a prompt": (
        {"items/all.yaml": "- id: q\n  type: text\n  prompt: {en: Colour?, zh: ''}\n"
                           "  concepts: [halves, quarters]\n  answer: {accept: [x]}\n"},
        "items/all.yaml:3", "empty_prompt", "'zh' prompt is empty", "write the question"),
    "bad number": (
        item("numeric", "  answer:\n    value: 3/0\n"),
        "items/all.yaml:6", "bad_number", "'3/0' is not a number", "1 1/2"),
    "bad expression": (
        item("expression", "  answer: {expression: '2x +* 1', variables: [x]}\n"),
        "items/all.yaml:5", "bad_expression", "'2x +* 1' cannot be read", "sympy syntax"),
    "expression that is not algebra": (
        item("expression", "  answer: {expression: \"__import__('os').getcwd()\"}\n"),
        "items/all.yaml:5", "bad_expression", "not part of algebra", "sympy syntax"),
    "python tag": (
        concepts("- id: thirds\n  name: !!python/object/apply:os.getcwd []\n"),
        "concepts.yaml:6", "unsupported_tag", "!!python/object/apply:os.getcwd", "plain YAML"),
}
# fmt: on


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_each_problem_kind(make_pack: PackFactory, case: str) -> None:
    files, at, code, message, hint = CASES[case]
    problems = [p for p in validate_pack(make_pack(files)) if p.severity == "error"]
    problem = only(problems)
    file, _, line = at.partition(":")
    assert (problem.file, problem.line, problem.code) == (file, int(line) if line else None, code)
    assert message in problem.message, str(problem)
    assert hint in problem.hint, str(problem)


def test_a_file_that_is_not_utf8(make_pack: PackFactory) -> None:
    root = make_pack()
    (root / "concepts.yaml").write_bytes(b"- id: halves\n  name: caf\xe9\n")
    problem = only(validate_pack(root))
    assert (problem.file, problem.line, problem.code) == ("concepts.yaml", 2, "bad_encoding")
    assert "UTF-8" in problem.hint


def test_a_cycle_is_reported_once_with_its_path(make_pack: PackFactory) -> None:
    root = make_pack(
        {
            "concepts.yaml": """\
                - id: halves
                  name: H
                  prerequisites: [quarters]
                - id: quarters
                  name: Q
                  prerequisites: [eighths]
                - id: eighths
                  name: E
                  prerequisites: [halves, quarters]
                """,
            "items/all.yaml": "- {id: q, type: text, prompt: p, concepts: [halves, quarters, "
            "eighths], answer: {accept: [x]}}\n",
        }
    )
    problems = validate_pack(root)
    assert [p.message for p in problems] == [
        "prerequisite cycle: halves -> quarters -> eighths -> halves",
        "prerequisite cycle: quarters -> eighths -> quarters",
    ]
    assert [p.line for p in problems] == [3, 6]


def test_a_broken_concepts_file_does_not_flood_items_with_unknown_concepts(
    make_pack: PackFactory,
) -> None:
    problems = validate_pack(make_pack({"concepts.yaml": "- id: halves\n  name: [H\n"}))
    assert [p.code for p in problems] == ["bad_yaml"]


def test_several_problems_in_one_item_are_all_reported(make_pack: PackFactory) -> None:
    root = make_pack(
        {
            "items/all.yaml": """\
                - id: q
                  type: numeric
                  prompt: ""
                  concepts: [halves, nope]
                  answer: {value: "x", tolerence: 1}
                  hint: h
                """
        }
    )
    problems = validate_pack(root)
    assert sorted((p.line, p.code) for p in problems if p.severity == "error") == [
        (3, "empty_prompt"),
        (4, "unknown_concept"),
        (5, "bad_number"),
        (5, "unknown_field"),
        (6, "unknown_field"),
    ]


def test_aliases_cannot_blow_up(make_pack: PackFactory) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    root = make_pack({"course.yaml": "\n".join(lines) + "\n"})
    problems = validate_pack(root)
    assert problems[0].file == "course.yaml" and "too much data" in problems[0].message


def test_problem_text_names_file_line_and_hint(make_pack: PackFactory) -> None:
    root = make_pack(concepts("- id: thirds\n  nmae: Thirds\n"))
    [problem] = [p for p in validate_pack(root) if p.code == "unknown_field"]
    assert str(problem).startswith("concepts.yaml:6: concept 'thirds': unknown field 'nmae'")
    assert "(hint: did you mean 'name'?" in str(problem)


def test_a_duplicate_key_does_not_hide_the_rest_of_the_file(make_pack: PackFactory) -> None:
    root = make_pack(concepts("- id: thirds\n  name: A\n  name: B\n  prerequisites: [fifths]\n"))
    assert where([p for p in validate_pack(root) if p.severity == "error"]) == [
        ("concepts.yaml", 7, "duplicate_key"),
        ("concepts.yaml", 8, "unknown_concept"),
    ]


def test_answer_specs_the_graders_cannot_use_are_reported(make_pack: PackFactory) -> None:
    """A decimal-only item whose value has no exact decimal would mark every student wrong."""
    root = make_pack(
        {
            "items/third.yaml": """\
                - id: third
                  type: numeric
                  prompt: "What is 1 divided by 3?"
                  concepts: [halves]
                  answer:
                    value: "1/3"
                    forms: [decimal]
                """
        }
    )
    problems = [p for p in validate_pack(root) if p.code == "answer_spec"]
    assert len(problems) == 1
    assert problems[0].file.startswith("items/") and problems[0].line == 5
    assert "third" in problems[0].message


COURSE_WITH_THRESHOLD = (
    "id: fractions\ntitle: Fractions\nlanguages: [en, zh]\nsettings:\n  review_threshold: {}\n"
)


@pytest.mark.parametrize("value", ["1.5", "-0.1", "high", "true"])
def test_a_review_threshold_outside_0_to_1_is_a_problem(make_pack: PackFactory, value: str) -> None:
    course = COURSE_WITH_THRESHOLD.format(value)
    [problem] = validate_pack(make_pack({"course.yaml": course}))
    assert (problem.file, problem.line) == ("course.yaml", 4)
    assert problem.message.startswith("settings: review_threshold must be a number from 0 to 1")


@pytest.mark.parametrize("value", ["0", "0.65", "1"])
def test_a_review_threshold_from_0_to_1_is_fine(make_pack: PackFactory, value: str) -> None:
    course = COURSE_WITH_THRESHOLD.format(value)
    assert validate_pack(make_pack({"course.yaml": course})) == []
