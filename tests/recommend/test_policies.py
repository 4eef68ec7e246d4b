"""Each policy on small hand-built graphs and student states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from learnloop.recommend import (
    ConceptGraph,
    ConceptState,
    CourseModel,
    ItemHistory,
    ItemInfo,
    Kind,
    LastAnswer,
    LearnerState,
    Reason,
    explain,
    learning_path,
    make_policy,
)
from learnloop.recommend.policies import Adaptive

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
NAMES = {"a": "Counting", "b": "Adding", "c": "Multiplying", "d": "Shapes"}


@pytest.fixture
def course() -> CourseModel:
    # a -> b -> c, a -> d
    graph = ConceptGraph(["a", "b", "c", "d"], {"b": ["a"], "c": ["b"], "d": ["a"]})
    items = [
        ItemInfo("a1", ("a",), 0.3),
        ItemInfo("a2", ("a",), 0.5),
        ItemInfo("b1", ("b",), 0.4),
        ItemInfo("b2", ("b",), 0.6),
        ItemInfo("b3", ("b",), 0.9),
        ItemInfo("c1", ("c",), 0.5),
        ItemInfo("d1", ("d",), 0.5),
    ]
    return CourseModel.build("demo", graph, items)


def state(p: float = 0.3, n: int = 0, **kw: object) -> ConceptState:
    return ConceptState(p_mastery=p, attempts=n, p_correct=0.2 + 0.7 * p, **kw)  # type: ignore[arg-type]


def learner(concepts: dict[str, ConceptState], **kw: object) -> LearnerState:
    full = {c: concepts.get(c, state()) for c in "abcd"}
    return LearnerState(now=NOW, concepts=full, **kw)  # type: ignore[arg-type]


def test_a_new_student_starts_where_nothing_is_needed_first(course: CourseModel) -> None:
    for name in ("fixed", "prerequisite-first", "adaptive"):
        got = make_policy(name).choose(course, learner({}))
        assert got.kind is Kind.ITEM
        assert got.concept == "a", name


def test_adaptive_respects_prerequisites(course: CourseModel) -> None:
    # a mastered: b and d are ready, c is not
    got = make_policy("adaptive").choose(course, learner({"a": state(0.95, 5)}))
    assert got.concept in {"b", "d"}
    assert got.reason is Reason.READY
    # b half-way: still not c
    got = make_policy("adaptive").choose(course, learner({"a": state(0.95, 5), "b": state(0.6, 2)}))
    assert got.concept in {"b", "d"}


def test_adaptive_aims_at_the_target_success_rate(course: CourseModel) -> None:
    # b's typical success 0.62: the easiest of its items (b1, 0.4) is nearest 0.7
    s = learner({"a": state(0.95, 5), "b": state(0.6, 2), "d": state(0.95, 4)})
    got = make_policy("adaptive").choose(course, s)
    assert got.item == "b1"
    assert got.p_correct is not None and 0.6 < got.p_correct < 0.8


def test_never_the_same_item_twice_in_a_row(course: CourseModel) -> None:
    only_a = learner({}, recent_items=("a1",), items={"a1": ItemHistory(answered=1)})
    for name in ("fixed", "adaptive"):
        got = make_policy(name).choose(course, only_a)
        assert got.item != "a1", name
    # the old rule, kept as a baseline, insists on the first unsolved item
    assert make_policy("prerequisite-first").choose(course, only_a).item == "a1"


def test_after_a_wrong_answer_another_item_of_the_same_concept(course: CourseModel) -> None:
    s = learner(
        {"a": state(0.95, 5), "b": state(0.4, 1, wrong_streak=1)},
        recent_items=("b1",),
        items={"b1": ItemHistory(answered=1)},
        last=LastAnswer("b1", "incorrect", mistake="added the denominators"),
    )
    got = make_policy("adaptive").choose(course, s)
    assert (got.kind, got.reason, got.concept) == (Kind.ITEM, Reason.RETRY, "b")
    assert got.item != "b1"


def test_the_second_mistake_in_a_row_sends_the_student_to_the_course_page(
    course: CourseModel,
) -> None:
    s = learner(
        {"a": state(0.95, 5), "b": state(0.35, 2, wrong_streak=2)},
        recent_items=("b2", "b1"),
        items={"b1": ItemHistory(answered=1), "b2": ItemHistory(answered=1)},
        last=LastAnswer("b2", "incorrect", mistake="added the denominators"),
    )
    got = make_policy("adaptive").choose(course, s)
    assert got.kind is Kind.MATERIAL
    assert got.concept == "b"
    assert got.item is not None and got.item != "b2"  # what to try once read


def test_stuck_steps_back_to_the_weakest_prerequisite(course: CourseModel) -> None:
    # c keeps going wrong although a and b look mastered: b, the weaker one, is checked
    s = learner(
        {"a": state(0.97, 6), "b": state(0.82, 4), "c": state(0.2, 3, wrong_streak=3)},
        recent_items=("c1",),
        items={"c1": ItemHistory(answered=3)},
        last=LastAnswer("c1", "incorrect"),
    )
    got = make_policy("adaptive").choose(course, s)
    assert (got.reason, got.concept) == (Reason.STEP_BACK, "b")
    assert got.because["stuck_on"] == "c"


def test_stuck_with_solid_prerequisites_keeps_to_the_concept(course: CourseModel) -> None:
    """Three wrong in a row is how learning a new concept often starts: with every
    prerequisite mastered and well remembered, stepping back would only cost an answer; once
    one has faded, it is the one checked."""
    solid = {"a": state(0.98, 8, recall=0.97), "b": state(0.97, 6, recall=0.95)}
    stuck = {"c": state(0.2, 3, wrong_streak=3)}
    history = {
        "recent_items": ("c1",),
        "items": {"c1": ItemHistory(answered=3)},
        "last": LastAnswer("c1", "incorrect"),
    }
    got = make_policy("adaptive").choose(course, learner({**solid, **stuck}, **history))
    assert got.reason is not Reason.STEP_BACK
    assert got.concept not in {"a", "b"}  # c's only item was just answered: d meanwhile
    faded = {**solid, "a": state(0.98, 8, recall=0.8)}
    got = make_policy("adaptive").choose(course, learner({**faded, **stuck}, **history))
    assert (got.reason, got.concept) == (Reason.STEP_BACK, "a")


def test_falling_mastery_counts_as_stuck(course: CourseModel) -> None:
    s = learner(
        {"a": state(0.9, 6), "b": state(0.45, 6, peak=0.78, wrong_streak=1)},
        recent_items=("b1",),
        last=LastAnswer("b1", "incorrect"),
    )
    got = make_policy("adaptive").choose(course, s)
    assert (got.reason, got.concept) == (Reason.STEP_BACK, "a")


def test_a_faded_concept_comes_back_as_a_review_interleaved_with_new_work(
    course: CourseModel,
) -> None:
    faded = state(0.95, 6, recall=0.4, once_mastered=True, due=NOW - timedelta(days=1))
    policy = Adaptive(interleave=2)
    after_one = learner({"a": faded, "b": state(0.5, 2)}, recent_items=("b1",))
    assert policy.choose(course, after_one).concept == "b"  # one new item, then...
    after_two = learner({"a": faded, "b": state(0.5, 2)}, recent_items=("b2", "b1"))
    review = policy.choose(course, after_two)
    assert (review.kind, review.reason, review.concept) == (Kind.REVIEW, Reason.REVIEW, "a")


def test_everything_mastered_nothing_due_says_when_the_next_review_is(
    course: CourseModel,
) -> None:
    due = NOW + timedelta(days=3)
    s = learner({c: state(0.95, 5, recall=0.9, once_mastered=True, due=due) for c in "abcd"})
    got = make_policy("adaptive").choose(course, s)
    assert got.kind is Kind.DONE
    assert got.next_review == due
    assert "2026-12-04" in explain(got, "en", NAMES)


def test_everything_mastered_and_a_review_due_is_not_done(course: CourseModel) -> None:
    concepts = {c: state(0.95, 5, recall=0.9, once_mastered=True) for c in "abcd"}
    concepts["d"] = state(0.95, 5, recall=0.3, once_mastered=True)
    got = make_policy("adaptive").choose(course, learner(concepts))
    assert (got.kind, got.concept) == (Kind.REVIEW, "d")


def test_the_goal_comes_first_on_its_path(course: CourseModel) -> None:
    s = learner({"a": state(0.95, 5)}, goal="c")
    got = make_policy("adaptive").choose(course, s)
    assert (got.reason, got.concept) == (Reason.GOAL, "b")  # d is ready too, but off the path


def test_the_path_to_a_goal(course: CourseModel) -> None:
    s = learner({"a": state(0.95, 5), "b": state(0.5, 2)})
    prm = {"learn": 0.2, "guess": 0.2, "slip": 0.1}
    steps = learning_path(course, s, "c", params={"b": prm, "c": prm})
    assert [st.concept for st in steps] == ["b", "c"]
    assert steps[0].ready and not steps[1].ready
    assert steps[0].answers < steps[1].answers  # b is half-way already
    assert learning_path(course, s, "a", params={}) == []  # mastered: nothing on the way


def test_fixed_goes_in_course_order_each_item_once(course: CourseModel) -> None:
    policy = make_policy("fixed")
    seen = {"a1": ItemHistory(1, 1), "a2": ItemHistory(1, 0)}
    got = policy.choose(course, learner({}, items=seen, recent_items=("a2", "a1")))
    assert got.item == "b1"
    everything = {k: ItemHistory(1, 1) for k in course.items} | {"a2": ItemHistory(1, 0)}
    got = policy.choose(course, learner({}, items=everything, recent_items=("d1",)))
    assert got.item == "a2"  # then the ones answered wrong


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_reason_is_explained_in_both_languages(course: CourseModel, lang: str) -> None:
    from learnloop.recommend import Suggestion

    for reason in Reason:
        kind = Kind.DONE if reason in (Reason.DONE, Reason.WAITING) else Kind.ITEM
        text = explain(
            Suggestion(
                kind=kind,
                reason=reason,
                concept="b",
                item="b1",
                p_correct=0.7,
                because={"stuck_on": "c", "goal": "c", "wrong": 3, "recall": 0.4},
            ),
            lang,
            NAMES,
        )
        assert "{" not in text
        if kind is Kind.ITEM and reason is not Reason.COURSE_ORDER:
            assert "Adding" in text
            assert "70" in text  # what the model expects
        if lang == "zh":
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_an_answer_waiting_for_a_teacher_is_not_treated_as_a_mistake(course: CourseModel) -> None:
    s = learner(
        {"a": state(0.95, 5), "b": state(0.4, 1)},
        recent_items=("b1",),
        items={"b1": ItemHistory(answered=1)},
        last=LastAnswer("b1", "pending"),
    )
    got = make_policy("adaptive").choose(course, s)
    assert got.reason is not Reason.RETRY
    assert got.item != "b1"


def test_every_place_that_names_a_policy_names_the_registry() -> None:
    """The setting, course.yaml, the API and the CLI accept exactly the registered policies."""
    from learnloop.domain.course import COURSE_POLICIES
    from learnloop.recommend import POLICIES

    assert set(COURSE_POLICIES) == set(POLICIES)
