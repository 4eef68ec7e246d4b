"""A student answers: stored, graded, mastery moves, next item suggested; retries are safe."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from learnloop.storage.tables import AttemptRow, ConceptRow, MasteryRow, ReviewRow
from learnloop.tracing import MASTERED
from tests.web.conftest import School


def answer(client, item: str, response, key: str | None = None, course: str = "tiny"):  # type: ignore[no-untyped-def]
    body = {"course_id": course, "item_id": item, "response": response}
    if key:
        body["idempotency_key"] = key
    return client.post("/api/v1/attempts", json=body)


def test_right_and_wrong_answers_move_mastery_and_the_next_item(school: School) -> None:
    from learnloop.tracing import FittedMastery

    live = FittedMastery()  # nothing fitted yet: the shipped priors
    prior = live.p_mastery(live.initial_state("halves"))
    student = school.client("stud_a")
    first = answer(student, "q1", "2/3")
    assert first.status_code == 201, first.text
    wrong = first.json()
    assert wrong["grade"]["verdict"] == "incorrect"
    assert wrong["grade"]["feedback"]
    assert wrong["mastery"]["halves"] < prior
    # not mastered: another item on the same concept (never the same twice in a row), and why
    assert wrong["next_item"]["concept_id"] == "halves"
    assert (wrong["next_item"]["reason"], wrong["next_item"]["item_id"]) == ("retry", "q3")
    assert "Halves" in wrong["next_item"]["explanation"]

    body = answer(student, "q1", "0.5").json()
    assert body["grade"]["verdict"] == "correct" and body["grade"]["score"] == 1.0
    assert body["mastery"]["halves"] > wrong["mastery"]["halves"]

    for _ in range(4):
        last = answer(student, "q1", "1/2").json()
    assert last["mastery"]["halves"] >= MASTERED
    nxt = last["next_item"]
    assert (nxt["kind"], nxt["item_id"], nxt["concept_id"], nxt["reason"]) == (
        "item",
        "q2",
        "quarters",
        "ready",
    )
    assert nxt["explanation"].startswith("You have mastered what “Quarters” builds on")

    mastery = student.get(f"/api/v1/students/{school.ids['stud_a']}/mastery/tiny").json()
    assert [m["concept_id"] for m in mastery] == ["halves", "quarters"]
    assert mastery[0]["mastered"] and not mastery[1]["mastered"]
    progress = student.get(f"/api/v1/students/{school.ids['stud_a']}/progress").json()
    assert progress == [
        {
            "course_id": "tiny",
            "concepts": 2,
            "concepts_mastered": 1,
            "items": 3,
            "items_attempted": 1,
            "items_correct": 1,
            "attempts": 6,
        }
    ]


def test_the_same_idempotency_key_stores_one_attempt(school: School) -> None:
    student = school.client("stud_a")
    a = answer(student, "q2", "a", key="k-1")
    b = answer(student, "q2", "a", key="k-1")
    assert a.status_code == 201 and b.status_code == 200
    assert a.json()["attempt_id"] == b.json()["attempt_id"]
    assert b.json()["replayed"] is True
    header = student.post(
        "/api/v1/attempts",
        json={"course_id": "tiny", "item_id": "q2", "response": "a"},
        headers={"Idempotency-Key": "k-1"},
    )
    assert header.json()["attempt_id"] == a.json()["attempt_id"]
    with school.backend.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AttemptRow)) == 1


def test_a_key_reused_for_another_answer_is_a_conflict_not_a_replay(school: School) -> None:
    student = school.client("stud_a")
    first = answer(student, "q2", "a", key="k-2")
    assert first.status_code == 201
    reused = answer(student, "q1", "1/2", key="k-2")  # another item under the same key
    assert reused.status_code == 409, reused.text
    assert "k-2" in reused.json()["error"]["message"]
    assert "new key" in reused.json()["error"]["message"]
    assert answer(student, "q2", "a", key="k-2").json()["replayed"] is True  # a true retry
    with school.backend.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AttemptRow)) == 1


def test_an_answer_with_a_lone_surrogate_is_refused_and_listings_keep_working(
    school: School,
) -> None:
    student = school.client("stud_a")
    # what a client that cuts a string between the halves of an emoji sends (JSON allows it)
    body = '{"course_id": "tiny", "item_id": "q3", "response": "half an emoji \\ud83d"}'
    r = student.post("/api/v1/attempts", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert "surrogate" in r.json()["error"]["message"]
    with school.backend.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AttemptRow)) == 0
    assert student.get("/api/v1/attempts").status_code == 200


def test_free_text_goes_to_the_review_queue(school: School) -> None:
    student = school.client("stud_a")
    r = answer(student, "q3", "Because you double both parts.").json()
    assert r["grade"]["provisional"] is True
    assert "teacher" in r["grade"]["feedback"]
    with school.backend.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ReviewRow)) == 1


def test_a_teacher_sees_the_class_overview(school: School) -> None:
    answer(school.client("stud_a"), "q1", "1/2")
    overview = (
        school.client("teach_a")
        .get(f"/api/v1/classes/{school.ids['Class A']}/overview/tiny")
        .json()
    )
    assert overview["concepts"] == ["halves", "quarters"]
    rows = {r["username"]: r for r in overview["students"]}
    assert set(rows) == {"stud_a", "stud_a2"}
    assert rows["stud_a"]["attempts"] == 1 and rows["stud_a2"]["attempts"] == 0
    assert rows["stud_a"]["mastery"]["halves"] > rows["stud_a2"]["mastery"]["halves"]


def test_bad_answers_get_clear_errors(school: School) -> None:
    student = school.client("stud_a")
    missing = answer(student, "nope", "1")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "no item 'nope' in course 'tiny'"
    wrong_type = student.post(
        "/api/v1/attempts", json={"course_id": "tiny", "item_id": "q1", "response": 5}
    )
    assert wrong_type.status_code == 422
    assert "body.response" in wrong_type.json()["error"]["details"]
    not_mine = answer(student, "q1", "1/2", course="other")
    assert not_mine.status_code == 404


def test_the_answer_loop_uses_the_fitted_student_model(school: School) -> None:
    """After `kt fit`, answers move mastery by the fitted BKT, and the API serves its
    estimate with a confidence."""
    from learnloop.services.tracing import fit_from_database
    from learnloop.tracing import BKT, BKTMastery

    student = school.client("stud_a")
    for response in ["1/2", "2/3", "1/2", "0.5"]:
        assert answer(student, "q1", response).status_code == 201
    report = fit_from_database(school.backend, model="bkt")
    assert report.retraced == 1
    live = BKTMastery(BKT.load(report.path))
    with school.backend.transaction() as s:
        halves = s.scalar(select(ConceptRow.id).where(ConceptRow.key == "halves"))
    state = live.initial_state(str(halves))
    for score in (1.0, 0.0, 1.0, 1.0, 0.0):
        state = live.update(state, score)

    body = answer(student, "q1", "3/4").json()
    assert body["grade"]["verdict"] == "incorrect"
    assert body["mastery"]["halves"] == pytest.approx(live.p_mastery(state))
    mastery = student.get(f"/api/v1/students/{school.ids['stud_a']}/mastery/tiny").json()
    assert mastery[0]["concept_id"] == "halves"
    assert mastery[0]["p_mastery"] == pytest.approx(live.p_mastery(state))
    assert mastery[0]["attempts"] == 5 and mastery[0]["confidence"] == pytest.approx(5 / 8)
    # an untouched concept shows the fitted model's prior for it
    assert mastery[1]["attempts"] == 0 and 0 < mastery[1]["p_mastery"] < 1
    with school.backend.transaction() as s:
        assert set(s.scalars(select(MasteryRow.model))) == {"bkt"}
