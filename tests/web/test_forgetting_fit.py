"""Fitting the forgetting model to the platform's own timestamped answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from learnloop.recommend.forgetting import FITTED, forgetting_dir, live_forgetting
from learnloop.services import forgetting, learning
from learnloop.services.users import get_user
from learnloop.storage.tables import MasteryRow
from tests.web.conftest import School

T0 = datetime(2026, 9, 1, 8, tzinfo=UTC)


def test_the_better_model_is_kept_and_every_memory_rebuilt(school: School) -> None:
    backend = school.backend
    with backend.transaction() as s:
        students = [get_user(s, username=n) for n in ("stud_a", "stud_a2")]
        for u in students:
            s.expunge(u)
    with time_machine.travel(T0, tick=False) as clock:
        for day in range(12):
            clock.move_to(T0 + timedelta(days=day * 2))
            for n, user in enumerate(students):
                right = (day + n) % 3 != 0
                learning.submit_attempt(
                    backend, user=user, course_key="tiny", item_key="q1",
                    response="1/2" if right else "3",
                )  # fmt: skip
    assert "not enough history" in forgetting.fit_forgetting(backend).summary()
    report = forgetting.fit_forgetting(backend, min_answers=10)
    assert report.selection is not None
    assert report.selection.chosen in report.summary()
    assert (forgetting_dir(backend.settings.data_dir) / FITTED).exists()
    live = live_forgetting(backend.settings.data_dir, "fsrs")
    assert live.name == report.selection.chosen
    assert report.rebuilt == 2
    with backend.transaction() as s:
        memories = list(s.scalars(select(MasteryRow.memory)))
    assert all(m["n"] == 12 and m["last"].startswith("2026-09-23") for m in memories)


def test_refitting_the_student_model_keeps_what_the_forgetting_model_knew(school: School) -> None:
    from learnloop.services.tracing import fit_from_database

    backend = school.backend
    with backend.transaction() as s:
        user = get_user(s, username="stud_a")
        s.expunge(user)
    with time_machine.travel(T0, tick=False) as clock:
        for day in range(4):
            clock.move_to(T0 + timedelta(days=day))
            learning.submit_attempt(
                backend, user=user, course_key="tiny", item_key="q1", response="1/2"
            )
    with backend.transaction() as s:
        before = s.scalar(select(MasteryRow.memory))
    assert fit_from_database(backend, model="bkt").retraced == 1
    with backend.transaction() as s:
        after = s.scalar(select(MasteryRow.memory))
    assert after["n"] == before["n"] == 4
    assert after["last"] == before["last"]  # the answers' own times, not the re-fit's
