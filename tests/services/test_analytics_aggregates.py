"""The teacher's numbers counted in the database give what counting every answer in Python
gave: item statistics against the row-by-row reading they replaced, the mastery map's ranges
against each student's own mastery, and the review count against the queue, on a random log
with spelling variants, teachers' overrides, answers still waiting and students of two
classes."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from learnloop.domain import Verdict
from learnloop.services import Backend, analytics, classes, learning, progress, review, users
from learnloop.services.access import check_course_teacher
from learnloop.services.analytics.items import (
    ItemStatistics,
    ItemStats,
    WrongAnswer,
    _choice_label,
    _choice_texts,
    _round,
    normalise_answer,
    pearson,
)
from learnloop.services.analytics.scope import concepts_of_items, student_scope
from learnloop.storage.tables import (
    AttemptRow,
    GradeRow,
    ItemRow,
    ReviewStatus,
    Role,
    User,
)
from tests.web.conftest import PASSWORD, populate_school

RESPONSES: dict[str, list[Any]] = {
    "q1": ["1/2", "0.5", "0.4", " 0.4", "0.4.", "０.４", "1/3", "", "x" * 300],
    "q2": [["a"], ["b"], ["b", "a"], ["a", "b"]],
    "q3": ["Both are doubled.", "because", "BOTH are doubled", "2/4 = 1/2"],
}


def _user(backend: Backend, name: str) -> User:
    with backend.transaction() as s:
        user = s.scalars(select(User).where(User.username == name)).one()
        s.expunge(user)
    return user


@pytest.fixture
def logged(backend: Backend, tmp_path: Path) -> Backend:
    """Class A's two students and six more answer at random (a few in both classes, one in
    class B only); half of the free-text answers are decided by the teacher since."""
    ids = populate_school(backend, tmp_path)
    names = ["stud_a", "stud_a2", *(f"x{n}" for n in range(6))]
    with backend.transaction() as s:
        for name in names[2:]:
            users.create_user(s, username=name, password=PASSWORD)
            classes.enrol(s, class_name="Class A", username=name)
        classes.enrol(s, class_name="Class B", username="x0")
        classes.add_course(s, class_name="Class B", course_id="tiny")
    rng = random.Random(7)
    for name in [*names, "stud_b", "teach_a"]:
        user = _user(backend, name)
        for _ in range(rng.randint(0, 12)):
            item = rng.choice(list(RESPONSES))
            learning.submit_attempt(
                backend,
                user=user,
                course_key="tiny",
                item_key=item,
                response=rng.choice(RESPONSES[item]),
            )
    teacher = _user(backend, "teach_a")
    with backend.transaction() as s:
        queue = review.list_reviews(s, teacher, status=ReviewStatus.PENDING, limit=1000)
    for r in queue[::2]:
        verdict = rng.choice(list(Verdict))
        review.decide_review(
            backend, teacher, r.id, review.Decision(action="override", verdict=verdict)
        )
    assert ids
    return backend


# The row-by-row reading the grouped queries replaced, kept as the reference.
_Newer = aliased(GradeRow, name="newer_grade")
_STANDS = ~exists().where(_Newer.supersedes_id == GradeRow.id)


def reference_item_statistics(
    s: Session, actor: User, *, course_key: str, class_id: int | None = None
) -> ItemStatistics:
    course = check_course_teacher(s, actor, course_key)
    scope = student_scope(s, actor, class_id)
    q = (
        select(
            AttemptRow.id,
            AttemptRow.user_id,
            AttemptRow.item_id,
            AttemptRow.response,
            GradeRow.verdict,
            GradeRow.score,
            GradeRow.provisional,
        )
        .join(ItemRow, ItemRow.id == AttemptRow.item_id)
        .join(User, User.id == AttemptRow.user_id)
        .join(GradeRow, (GradeRow.attempt_id == AttemptRow.id) & _STANDS, isouter=True)
        .where(ItemRow.course_id == course.id, User.role == Role.STUDENT)
        .order_by(AttemptRow.submitted_at, AttemptRow.id)
    )
    if scope is not None:
        q = q.where(AttemptRow.user_id.in_(scope))
    by_item: dict[int, list[Any]] = defaultdict(list)
    first: dict[int, dict[int, float]] = defaultdict(dict)
    for row in s.execute(q):
        by_item[row.item_id].append(row)
        if row.verdict is not None and not row.provisional:
            first[row.user_id].setdefault(row.item_id, row.score)
    items = [i for i in course.items if not i.retired or by_item.get(i.id)]
    concepts = concepts_of_items(s, [i.id for i in items])
    return ItemStatistics(
        course_id=course.key,
        class_id=class_id,
        students=len({r.user_id for rows in by_item.values() for r in rows}),
        items=[
            _reference_item(i, by_item.get(i.id, []), first, concepts.get(i.id, [])) for i in items
        ],
    )


def _reference_item(
    item: ItemRow, rows: list[Any], first: dict[int, dict[int, float]], concepts: list[str]
) -> ItemStats:
    graded = [r for r in rows if r.verdict is not None and not r.provisional]
    correct = sum(r.verdict == "correct" for r in graded)
    share = correct / len(graded) if graded else None
    firsts = [scores[item.id] for scores in first.values() if item.id in scores]
    choices = _choice_texts(item)
    wrong: dict[str, list[int]] = defaultdict(list)
    for r in graded:
        if r.verdict != "correct":
            wrong[normalise_answer((r.response or {}).get("value"))].append(r.user_id)
    common = sorted(wrong.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:5]
    pairs = [
        (scores[item.id], sum(v for k, v in scores.items() if k != item.id) / (len(scores) - 1))
        for scores in first.values()
        if item.id in scores and len(scores) > 1
    ]
    discrimination = (
        pearson([x for x, _ in pairs], [y for _, y in pairs]) if len(pairs) >= 3 else None
    )
    return ItemStats(
        item_id=item.key,
        type=item.type,
        prompt=dict(item.prompt or {}),
        concepts=concepts,
        retired=item.retired,
        authored_difficulty=item.difficulty,
        attempts=len(rows),
        students=len({r.user_id for r in rows}),
        graded=len(graded),
        pending_review=sum(r.verdict is not None and r.provisional for r in rows),
        correct=correct,
        share_correct=_round(share),
        mean_score=_round(sum(r.score for r in graded) / len(graded) if graded else None),
        difficulty=_round(1 - share if share is not None else None),
        first_try_correct=_round(sum(x >= 1 for x in firsts) / len(firsts) if firsts else None),
        discrimination=_round(discrimination),
        wrong_answers=[
            WrongAnswer(text, _choice_label(text, choices), len(u), len(set(u)))
            for text, u in common
        ],
    )


@pytest.mark.parametrize(
    ("actor", "klass"), [("teach_a", None), ("teach_a", "Class A"), ("admin", None)]
)
def test_item_statistics_match_the_row_by_row_count(
    logged: Backend, actor: str, klass: str | None
) -> None:
    user = _user(logged, actor)
    with logged.transaction() as s:
        class_id = classes.get_class(s, name=klass).id if klass else None
        found = analytics.item_statistics(s, user, course_key="tiny", class_id=class_id)
        expected = reference_item_statistics(s, user, course_key="tiny", class_id=class_id)
    assert found == expected
    q1, _, q3 = found.items
    assert "0.4" in [w.answer for w in q1.wrong_answers]  # " 0.4", "0.4." and "０.４" too
    assert q3.pending_review and q3.graded  # some decided, some waiting
    assert found.students > 2


def test_answers_given_at_the_same_instant_count_in_the_order_they_arrived(
    backend: Backend, tmp_path: Path
) -> None:
    """A clock that did not move between two answers (a frozen test clock, a coarse one):
    the first answer is still the one stored first."""
    populate_school(backend, tmp_path)
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False):
        for name, responses in (("stud_a", ["0.4", "1/2"]), ("stud_a2", ["1/2", "0.4"])):
            user = _user(backend, name)
            for response in responses:
                learning.submit_attempt(
                    backend, user=user, course_key="tiny", item_key="q1", response=response
                )
    teacher = _user(backend, "teach_a")
    with backend.transaction() as s:
        found = analytics.item_statistics(s, teacher, course_key="tiny")
        expected = reference_item_statistics(s, teacher, course_key="tiny")
    assert found == expected
    assert found.items[0].first_try_correct == 0.5


def test_the_mastery_map_matches_each_students_own_mastery(logged: Backend) -> None:
    teacher = _user(logged, "teach_a")
    with logged.transaction() as s:
        klass = classes.get_class(s, name="Class A")
        matrix = analytics.mastery_matrix(s, teacher, class_id=klass.id, course_key="tiny")
        course = check_course_teacher(s, teacher, "tiny")
        own = {
            st.user_id: progress.course_mastery(s, user_id=st.user_id, course=course)
            for st in matrix.students
        }
        overview = progress.class_overview(s, class_id=klass.id, course=course)
    assert len(matrix.students) == 8
    started = 0
    for i, st in enumerate(matrix.students):
        for j, m in enumerate(own[st.user_id]):
            assert matrix.concepts[j].concept_id == m.concept_id
            assert matrix.p_mastery[i][j] == round(m.p_mastery, 4)
            assert matrix.seen[i][j] == m.started
            span = (matrix.low[i][j], matrix.high[i][j])
            assert span == ((m.low, m.high) if m.started else (None, None))
            started += m.started
    assert started > 0
    assert [(r.user_id, r.mastery, r.attempts) for r in overview] == [
        (
            st.user_id,
            dict(zip([c.concept_id for c in matrix.concepts], row, strict=True)),
            st.attempts,
        )
        for st, row in zip(matrix.students, matrix.p_mastery, strict=True)
    ]


def test_the_pending_count_is_the_queue_length(logged: Backend) -> None:
    for name in ("teach_a", "teach_b", "admin"):
        user = _user(logged, name)
        with logged.transaction() as s:
            for status in (ReviewStatus.PENDING, ReviewStatus.OVERRIDDEN, None):
                listed = review.list_reviews(s, user, status=status, limit=10_000)
                assert review.count_reviews(s, user, status=status) == len(listed)
    with logged.transaction() as s:
        assert review.count_reviews(s, _user(logged, "teach_a"), status=ReviewStatus.PENDING)
