"""Any valid pack survives export and load unchanged: the property behind 'export, then import'."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from learnloop.courses import export_pack, load_pack, read_pack
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
from learnloop.grading import check_item

ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,10}", fullmatch=True)
# Any text a teacher might type, including Chinese, YAML-looking words and odd whitespace.
text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
    st.sampled_from(["yes", "null", "~", "0.50", "- x", "a: b", "#", "'q'", "  lead", "中文 \n"]),
)
nonblank = text.filter(lambda s: s.strip() != "")


@st.composite
def localized(draw: st.DrawFn, languages: list[str], values: st.SearchStrategy[str] = text):
    keys = draw(st.sampled_from([["*"], *[[x] for x in languages], languages, ["*", *languages]]))
    return {k: draw(values) for k in keys}


@st.composite
def answers(draw: st.DrawFn, kind: ItemType, languages: list[str]):
    if kind is ItemType.MULTIPLE_CHOICE:
        choice_ids = draw(st.lists(ids, min_size=2, max_size=4, unique=True))
        correct = draw(st.lists(st.booleans(), min_size=len(choice_ids), max_size=len(choice_ids)))
        correct[0] = True
        return MultipleChoiceAnswer(
            choices=[
                Choice(
                    id=cid,
                    text=draw(localized(languages)),
                    correct=ok,
                    feedback=draw(st.none() | localized(languages)),
                )
                for cid, ok in zip(choice_ids, correct, strict=True)
            ],
            multiple=draw(st.booleans()),
            shuffle=draw(st.booleans()),
        )
    if kind is ItemType.NUMERIC:
        value = draw(st.sampled_from(["0.75", "3/4", "1 1/2", "75%", "-2", "1e3", " 7 "]))
        unit = draw(st.none() | st.sampled_from(["cm", "kg", "米"]))
        return NumericAnswer(
            value=value,
            tolerance=draw(st.floats(0, 10, allow_nan=False)),
            unit=unit,
            units=draw(st.dictionaries(st.sampled_from(["mm", "m"]), st.floats(0.001, 1000)))
            if unit
            else {},
            forms=draw(
                st.lists(
                    st.sampled_from(["decimal", "fraction", "mixed", "percent"]),
                    min_size=1,
                    unique=True,
                )
            ),
        )
    if kind is ItemType.EXPRESSION:
        expression = draw(st.sampled_from(["2*x + 2", "2(x+1)", "y = 2x + 1", "x^2 - 1"]))
        return ExpressionAnswer(expression=expression, variables=["x", "y"])
    if kind is ItemType.TEXT:
        return TextAnswer(
            # gradable: something must be left once spaces and punctuation are normalised away
            accept=draw(
                st.lists(
                    text.filter(lambda t: any(ch.isalnum() for ch in t)), min_size=1, max_size=3
                )
            ),
            case_sensitive=draw(st.booleans()),
        )
    return FreeTextAnswer(min_words=draw(st.integers(0, 50)))


def _has_alnum(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


@st.composite
def packs(draw: st.DrawFn) -> CoursePack:
    languages = draw(st.sampled_from([["en"], ["zh"], ["en", "zh"], ["zh", "en"]]))
    concept_ids = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    concepts = [
        Concept(
            id=cid,
            name=draw(localized(languages)),
            description=draw(st.just({}) | localized(languages)),
            prerequisites=draw(st.lists(st.sampled_from(concept_ids[:i]), unique=True))
            if i
            else [],
        )
        for i, cid in enumerate(concept_ids)
    ]
    items = []
    for item_id in draw(st.lists(ids, min_size=0, max_size=5, unique=True)):
        kind = draw(st.sampled_from(list(ItemType)))
        items.append(
            Item(
                id=item_id,
                type=kind,
                prompt=draw(localized(languages, nonblank)),
                concepts=draw(st.lists(st.sampled_from(concept_ids), min_size=1, unique=True)),
                answer=draw(answers(kind, languages)),
                reference_answers=draw(
                    st.lists(localized(languages), min_size=kind is ItemType.FREE_TEXT, max_size=2)
                ),
                hints=draw(st.lists(localized(languages), max_size=2)),
                explanation=draw(st.just({}) | localized(languages)),
                difficulty=draw(st.floats(0, 1)),
            )
        )
    materials = [
        Material(
            id=mid,
            title=draw(localized(languages)),
            concepts=draw(st.lists(st.sampled_from(concept_ids), unique=True, max_size=2)),
            body=draw(localized(languages)),
            order=draw(st.integers(-3, 3)),
        )
        for mid in draw(st.lists(ids, max_size=3, unique_by=str.casefold))
    ]
    materials.sort(key=lambda m: (m.order, m.id))
    course = Course(
        id=draw(ids),
        title=draw(localized(languages)),
        description=draw(st.just({}) | localized(languages)),
        languages=languages,
        version=draw(st.sampled_from(["1", "1.10", "2024-01-01", "v3"])),
        settings=draw(st.dictionaries(ids, st.floats(0, 1) | st.booleans() | text, max_size=2)),
    )
    return CoursePack(course=course, concepts=concepts, items=items, materials=materials)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pack=packs())
def test_export_then_load_gives_the_same_pack(pack: CoursePack) -> None:
    # answer specs the graders would refuse are the validator's business, tested elsewhere
    assume(not any(check_item(item) for item in pack.items))
    with tempfile.TemporaryDirectory() as tmp:
        export_pack(pack, Path(tmp) / "pack")
        loaded, problems = read_pack(Path(tmp) / "pack")
        assert [p for p in problems if p.severity == "error"] == []
        assert loaded == pack
        assert load_pack(Path(tmp) / "pack") == pack
