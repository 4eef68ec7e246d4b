"""The leak guard on the demo course's own items: what a student would see if a model tried
to hand over an answer, and that ordinary teaching gets through."""

from __future__ import annotations

from pathlib import Path

import pytest

from learnloop.courses import load_pack
from learnloop.domain.course import Item
from learnloop.tutor.guard import LeakCheck, StreamGuard, student_view

DEMO = Path(__file__).parents[2] / "learnloop" / "demo" / "courses"


@pytest.fixture(scope="module")
def items() -> dict[str, Item]:
    found: dict[str, Item] = {}
    for course in ("fractions", "photosynthesis"):
        found |= {i.id: i for i in load_pack(DEMO / course).items}
    return found


LEAKS = [
    ("unlike-1", "Sure! The answer is 5/6."),
    ("unlike-1", "Add them: 3/6 + 2/6 = 5 / 6"),
    ("unlike-1", "答案是六分之五"),
    ("unlike-1", r"So the sum is $\frac{5}{6}$."),
    ("unlike-2", "The answer is (a)."),
    ("unlike-2", "It's 7/12, option a."),
    ("unlike-2", "选A"),
    ("algebra-1", "x/2 + x/4 = 3x/4"),
    ("algebra-1", "so it is 0.75x"),
    ("algebra-1", "We get (3/4)x"),
    (
        "plant-cells-ft-1",
        "Roots are underground where there is no light, and chloroplasts need light to "
        "photosynthesise, so they would be useless. Root cells get sugar from the leaves "
        "through the phloem.",
    ),
    ("plant-cells-ft-1", "根生长在地下，没有光照。叶绿体需要光才能进行光合作用，所以没有用处。"),
]

TEACHING = [
    ("unlike-1", "Halves and thirds are different sizes. Which denominator do 2 and 3 share?"),
    ("unlike-1", "Step 5: write 1/2 as sixths."),
    ("unlike-1", "1. Find a common denominator.\n2. Rewrite both fractions."),
    ("unlike-2", "Option b is wrong: the numerators must change too."),
    ("unlike-2", "Let's think about a common denominator first."),
    ("algebra-1", "Write x/2 as 2x/4, then add the like terms."),
    ("plant-cells-ft-1", "Think about where roots grow. What do chloroplasts need to work?"),
]


@pytest.mark.parametrize(("key", "reply"), LEAKS)
def test_replies_that_give_the_answer_away_are_caught(items: dict[str, Item], key: str, reply: str):
    language = "zh" if any("\u4e00" <= c <= "\u9fff" for c in reply) else "en"
    assert LeakCheck(items[key], language).find(reply) is not None


@pytest.mark.parametrize(("key", "reply"), TEACHING)
def test_teaching_without_the_answer_gets_through(items: dict[str, Item], key: str, reply: str):
    assert LeakCheck(items[key], "en").find(reply) is None


def test_the_stream_stops_before_the_answer_reaches_the_student(items: dict[str, Item]):
    guard = StreamGuard.for_item(LeakCheck(items["unlike-1"], "en"))
    pieces = [
        "First",
        " rewrite",
        " both",
        " fractions",
        " in",
        " sixths",
        " so",
        " that",
        " they",
        " can",
        " be",
        " added",
        " together",
        ":",
        " 3/6",
        " + 2/6",
        " = 5",
        "/6",
        ". Well",
        " done",
        "!",
    ]
    released = "".join(guard.feed(iter(pieces)))
    assert guard.result.leaked is not None
    assert "5/6" not in released and "= 5" not in released
    assert released.startswith("First rewrite both fractions")


def test_a_stream_without_an_exercise_passes_through_untouched():
    guard = StreamGuard.for_item(None)
    pieces = ["1/2", " + 1/3", " = 5/6"]
    assert list(guard.feed(iter(pieces))) == pieces
    assert guard.result.leaked is None


def test_the_student_view_holds_nothing_that_answers_the_item(items: dict[str, Item]):
    item = items["unlike-2"]
    view = student_view(item, "en", hints_shown=1)
    text = repr(view)
    assert "correct" not in text and "feedback" not in text.lower()
    assert view.hints == (item.hints[0]["en"],)
    assert [cid for cid, _ in view.choices] == ["a", "b", "c", "d"]
    free = student_view(items["plant-cells-ft-1"], "en", hints_shown=0)
    assert "phloem" not in repr(free)
