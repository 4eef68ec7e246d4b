"""Answers of one student arriving at once: each is graded once and moves mastery once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import func, select

from learnloop.services import Backend, classes, courses, learning, users
from learnloop.storage.tables import GradeRow, MasteryRow, Role, User

ANSWERS = 24


def _student(backend: Backend, tiny_pack: Path) -> User:
    with backend.transaction() as s:
        courses.import_path(s, path=tiny_pack)
        users.create_user(s, username="sam", password="password-1", role=Role.STUDENT)
        classes.ensure_class(s, name="C")
        classes.enrol(s, class_name="C", username="sam")
        classes.add_course(s, class_name="C", course_id="tiny")
        user = s.scalar(select(User).where(User.username == "sam"))
        assert user is not None
        s.expunge(user)
    return user


def test_simultaneous_answers_and_retries_lose_no_mastery_update(
    backend: Backend, tiny_pack: Path
) -> None:
    user = _student(backend, tiny_pack)

    def answer(n: int) -> learning.AttemptResult:
        return learning.submit_attempt(
            backend,
            user=user,
            course_key="tiny",
            item_key="q1",
            response="1/2" if n % 2 else "3",
            idempotency_key=f"k{n // 2}",  # every answer is sent twice at once
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(answer, range(2 * ANSWERS)))

    by_key: dict[int, set[int]] = {}
    for n, r in enumerate(results):
        by_key.setdefault(n // 2, set()).add(r.attempt_id)
    assert all(len(ids) == 1 for ids in by_key.values()), "a retry stored a second answer"
    with backend.transaction() as s:
        grades = s.scalar(select(func.count()).select_from(GradeRow))
        mastery = s.scalars(select(MasteryRow).where(MasteryRow.user_id == user.id)).one()
    assert grades == ANSWERS
    assert mastery.attempts == ANSWERS
    assert mastery.state["n"] == ANSWERS
