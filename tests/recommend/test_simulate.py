"""Simulated students: what they send is graded as meant, they learn with practice and forget
with time the way a real student would, and a short simulation runs through the real service
on a SQLite file."""

from __future__ import annotations

import math
import statistics
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from learnloop.courses import load_pack
from learnloop.domain import ItemType, Verdict
from learnloop.domain.course import CoursePack, MultipleChoiceAnswer
from learnloop.grading import grade_response
from learnloop.grading.freetext import grade_free_text
from learnloop.grading.learned import TfidfGrader
from learnloop.recommend.model import CourseModel
from learnloop.recommend.simulate import (
    START,
    AbilityLearner,
    BKTLearner,
    Learner,
    Oracle,
    ResponseBuilder,
    World,
    course_model,
    metrics,
    repeats,
    simulate,
)
from learnloop.services.demo import DEMO_COURSES_DIR
from learnloop.services.demo_graders import demo_data_file, train_demo_grader
from learnloop.storage.tables import AttemptRow, User

COURSES = ["fractions", "photosynthesis"]


@cache
def pack(name: str) -> CoursePack:
    return load_pack(DEMO_COURSES_DIR / name)


@cache
def model(name: str) -> CourseModel:
    return course_model(pack(name))


@pytest.mark.parametrize("course", COURSES)
def test_rule_graded_responses_are_graded_right_and_wrong_as_meant(course: str) -> None:
    p = pack(course)
    responses = ResponseBuilder(p.items)
    checked = 0
    for item in p.items:
        if item.type is ItemType.FREE_TEXT:
            continue
        right = grade_response(item, responses.right(item.id))
        assert right.verdict is Verdict.CORRECT, (item.id, responses.right(item.id), right)
        for wrong in responses.wrong_[item.id]:
            graded = grade_response(item, wrong)
            assert graded.verdict is Verdict.INCORRECT, (item.id, wrong, graded)
        if isinstance(item.answer, MultipleChoiceAnswer):
            explained = {c.id for c in item.answer.choices if not c.correct and c.feedback}
            picked = {w if isinstance(w, str) else w[0] for w in responses.wrong_[item.id]}
            assert not explained or picked == explained  # misconceptions first
        checked += 1
    assert checked == sum(i.type is not ItemType.FREE_TEXT for i in p.items) > 60


@pytest.mark.parametrize("course", COURSES)
def test_free_text_responses_mostly_get_the_meant_grade_from_the_demo_grader(
    course: str, tmp_path: Path
) -> None:
    """Free text goes to the learned grader, which can err: the reference answer and the
    labelled wrong samples must still mostly get the grade the student meant."""
    data = demo_data_file(course)
    assert data is not None
    train_demo_grader(data, tmp_path / "grader")
    grader = TfidfGrader.load(tmp_path / "grader")
    responses = ResponseBuilder(pack(course).items, samples=data)
    right = wrong = total = 0
    for item in pack(course).items:
        if item.type is not ItemType.FREE_TEXT:
            continue
        total += 1
        g, _ = grade_free_text(
            grader, item, responses.right(item.id), "en", threshold=0.0, grader="tfidf"
        )
        right += g.verdict is Verdict.CORRECT
        w, _ = grade_free_text(
            grader, item, responses.wrong_[item.id][0], "en", threshold=0.0, grader="tfidf"
        )
        wrong += w.verdict is not Verdict.CORRECT
    assert total >= 5
    assert right / total >= 0.8 and wrong / total >= 0.8


def _practise(
    learner: Learner, concept: str, times: int, start: datetime, every: timedelta
) -> None:
    """``times`` answers on the concept's items in turn, ``every`` apart."""
    course = learner.course
    keys = course.items_of[concept]
    now = start
    for n in range(times):
        item = course.items[keys[n % len(keys)]]
        learner.practise(item, learner.answer(item, np.random.default_rng(n), now), now)
        now += every


@pytest.mark.parametrize("curve", ["fsrs", "fast"])
@pytest.mark.parametrize("kind", [BKTLearner, AbilityLearner])
def test_learners_learn_a_ready_concept_with_practice_and_forget_it_over_months(
    kind: type[Learner], curve: str
) -> None:
    course = model("fractions")
    root = course.graph.order[0]
    assert not course.graph.prerequisites(root)
    learnt = 0
    gone = {1: 0, 180: 0}
    for seed in range(40):
        learner = kind(course, seed, curve=curve)
        if learner.knows(root, START):
            continue
        before = learner.p_correct(course.items[course.items_of[root][0]], START)
        _practise(learner, root, 15, START, timedelta(minutes=2))
        now = START + timedelta(minutes=30)
        if learner.knows(root, now):
            learnt += 1
            assert learner.p_correct(course.items[course.items_of[root][0]], now) > before
            for days in gone:
                gone[days] += not learner.knows(root, now + timedelta(days=days))
    assert learnt >= 25
    # crammed in half an hour: a day later most of it is there, half a year later much is
    # gone (FSRS's power curve keeps a long tail; the fast curve loses nearly all)
    assert gone[1] <= 0.5 * learnt
    assert gone[180] >= (0.9 if curve == "fast" else 0.3) * learnt
    assert gone[180] > gone[1]


def test_the_fsrs_curve_is_fsrs_defaults_and_the_fast_one_seven_times_faster() -> None:
    from fsrs.scheduler import DEFAULT_PARAMETERS

    from learnloop.recommend.simulate import CURVES

    fsrs, fast = CURVES["fsrs"](), CURVES["fast"]()
    good = float(DEFAULT_PARAMETERS[2])  # first stability after a "good" answer
    assert fsrs.retention(good, good) == pytest.approx(0.9)  # stability: 90 % recall
    assert fsrs.days_until(0.9, good) == pytest.approx(good)
    assert fast.retention(4.0, 4.0) == pytest.approx(math.exp(-1))
    # a day after first learning, the fast learner has forgotten several times as often
    lost_fsrs = 1 - fsrs.retention(1.0, fsrs.first_stability)
    lost_fast = 1 - fast.retention(1.0, fast.first_stability)
    assert 4 < lost_fast / lost_fsrs < 10


@pytest.mark.parametrize("kind", [BKTLearner, AbilityLearner])
def test_unknown_prerequisites_hold_learning_back(kind: type[Learner]) -> None:
    """The same practice of a concept teaches far less while its prerequisites are not known."""
    course = model("fractions")
    concept = next(c for c in course.graph.order if len(course.graph.ancestors(c)) >= 3)

    def share_learnt(prepared: bool) -> float:
        hits = 0
        for seed in range(60):
            learner = kind(course, seed)
            now = START
            if prepared:
                for pre in course.graph.ancestors(concept):
                    for _ in range(60):  # practised until known
                        if learner.knows(pre, now):
                            break
                        _practise(learner, pre, 1, now, timedelta(minutes=1))
                        now += timedelta(minutes=1)
                if not all(learner.knows(p, now) for p in course.graph.prerequisites(concept)):
                    continue
            _practise(learner, concept, 6, now, timedelta(minutes=2))
            hits += learner.knows(concept, now + timedelta(minutes=15))
        return hits / 60

    assert share_learnt(True) > share_learnt(False) + 0.3


@pytest.mark.parametrize(("curve", "days", "margin"), [("fsrs", 60, 0.1), ("fast", 10, 0.15)])
@pytest.mark.parametrize("kind", [BKTLearner, AbilityLearner])
def test_spaced_practice_is_remembered_longer_than_cramming(
    kind: type[Learner], curve: str, days: int, margin: float
) -> None:
    """Of the students who know a concept after six answers, more still know it weeks on
    when the answers were a day apart than when they came two minutes apart."""
    course = model("photosynthesis")
    root = course.graph.order[0]

    def kept(every: timedelta) -> float:
        known = still = 0
        for seed in range(200):
            learner = kind(course, seed, curve=curve)
            _practise(learner, root, 6, START, every)
            end = START + 5 * every + timedelta(minutes=5)
            if learner.knows(root, end):
                known += 1
                still += learner.knows(root, end + timedelta(days=days))
        assert known >= 40
        return still / known

    assert kept(timedelta(days=1)) > kept(timedelta(minutes=2)) + margin


def test_the_same_seed_is_the_same_student_and_seeds_differ() -> None:
    course = model("fractions")
    a, b = BKTLearner(course, 7), BKTLearner(course, 7)
    assert (a.learn, a.slip, a.sweet) == (b.learn, b.slip, b.sweet)
    assert a.known(START) == b.known(START)
    learn = [BKTLearner(course, s).learn for s in range(30)]
    ability = [AbilityLearner(course, s).rate for s in range(30)]
    assert statistics.pstdev(learn) > 0.02 and statistics.pstdev(ability) > 0.03


def test_oracle_picks_the_first_ready_unknown_concept_and_never_repeats() -> None:
    course = model("fractions")
    learner = AbilityLearner(course, 3)
    known = learner.known(START)
    first = next(
        c for c in course.graph.order if c not in known and course.graph.is_ready(c, known)
    )
    oracle = Oracle()
    choice = oracle.choose(course, learner, START, None)
    assert choice is not None and choice.concept == first and not choice.review
    again = oracle.choose(course, learner, START, choice.item)
    assert again is not None and again.item != choice.item


def test_a_short_simulation_runs_through_the_service_without_repeating_an_item(
    tmp_path: Path,
) -> None:
    run = simulate(
        DEMO_COURSES_DIR / "fractions", "adaptive", "bkt", root=tmp_path, students=2, steps=20
    )
    assert [len(s.steps) for s in run.students] == [20, 20]
    assert all(repeats(s) == 0 for s in run.students)
    answered = [st for s in run.students for st in s.steps if st.correct is not None]
    assert len(answered) >= 30
    assert all(st.verdict in ("correct", "partially_correct", "incorrect") for st in answered)
    row = metrics(run)
    assert row["repeats"] == 0 and row["answers"] == len(answered)
    # every answer is stored in the run's own database, at its simulated time
    world = World(tmp_path / "fractions-bkt-adaptive")
    with world.backend.transaction() as s:
        stored = s.scalar(
            select(func.count())
            .select_from(AttemptRow)
            .join(User)
            .where(User.username.like("sim%"))
        )
        first = s.scalar(select(func.min(AttemptRow.submitted_at)))
    world.close()
    assert stored == len(answered)
    assert first is not None and first.replace(tzinfo=None) == START.replace(tzinfo=None)


def test_last_terms_class_practises_first_and_the_models_are_fitted_on_its_log(
    tmp_path: Path,
) -> None:
    """A warm world: other students answered months before the measured ones, and the live
    student model serving the measured ones is the one fitted on that log, not the priors."""
    from learnloop.recommend.simulate import WARM_DAYS, warm_up
    from learnloop.services.progress import live_model
    from learnloop.tracing.live import PRIOR_MODEL

    pack = DEMO_COURSES_DIR / "fractions"
    world = World.create(tmp_path / "warm", pack, 2, warm=3)
    try:
        with world.backend.transaction() as s:
            assert live_model(s).name == PRIOR_MODEL
        warm_up(world, pack, "bkt", students=3, steps=40, seed=0)
        with world.backend.transaction() as s:
            assert live_model(s).name == "bkt"
            by_user = dict(
                s.execute(
                    select(User.username, func.count(AttemptRow.id))
                    .join(AttemptRow, AttemptRow.user_id == User.id)
                    .group_by(User.username)
                ).all()
            )
            first = s.scalar(select(func.min(AttemptRow.submitted_at)))
    finally:
        world.close()
    assert set(by_user) == {"prev000", "prev001", "prev002"}  # the measured ones not yet
    assert sum(by_user.values()) >= 100
    assert first is not None
    assert first.replace(tzinfo=None) == (START - timedelta(days=WARM_DAYS)).replace(tzinfo=None)
