"""A student answering through the API: the next activity follows the adaptive policy, a
concept comes back for review once enough (frozen) time has passed, and the path to a goal
set by the student or their teacher."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from fastapi.testclient import TestClient

from learnloop.services import Backend, classes, courses, users
from learnloop.settings import Settings
from learnloop.storage.tables import Role
from learnloop.web import create_app
from tests.conftest import write_pack
from tests.web.conftest import PASSWORD

PACK = {
    "course.yaml": """\
        id: steps
        title: {en: Steps, zh: 台阶}
        languages: [en, zh]
        """,
    "concepts.yaml": """\
        - id: halves
          name: {en: Halves, zh: 二分之一}
        - id: quarters
          name: {en: Quarters, zh: 四分之一}
          prerequisites: [halves]
        - id: eighths
          name: {en: Eighths, zh: 八分之一}
          prerequisites: [quarters]
        """,
    "items/all.yaml": "".join(
        f"- id: {key}\n  type: numeric\n  prompt: {{en: '{en}', zh: '{zh}'}}\n"
        f"  concepts: [{concept}]\n  answer: {{value: '{value}'}}\n"
        for key, concept, en, zh, value in [
            ("h1", "halves", "Half of 1?", "1 的一半？", "1/2"),
            ("h2", "halves", "Half of 4?", "4 的一半？", "2"),
            ("h3", "halves", "Half of 10?", "10 的一半？", "5"),
            ("q1", "quarters", "A quarter of 4?", "4 的四分之一？", "1"),
            ("q2", "quarters", "A quarter of 8?", "8 的四分之一？", "2"),
            ("q3", "quarters", "A quarter of 12?", "12 的四分之一？", "3"),
            ("e1", "eighths", "An eighth of 8?", "8 的八分之一？", "1"),
            ("e2", "eighths", "An eighth of 16?", "16 的八分之一？", "2"),
        ]
    ),
}
RIGHT = {"h1": "1/2", "h2": "2", "h3": "5", "q1": "1", "q2": "2", "q3": "3", "e1": "1", "e2": "2"}
T0 = datetime(2026, 9, 1, 8, tzinfo=UTC)


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", data_dir=tmp_path / "d")
    backend = Backend.open(settings, check_schema=False)
    backend.upgrade()
    with backend.transaction() as s:
        courses.import_path(s, path=write_pack(tmp_path / "steps", PACK))
        for name, role in [("t1", Role.TEACHER), ("s1", Role.STUDENT), ("s2", Role.STUDENT)]:
            users.create_user(s, username=name, password=PASSWORD, role=role)
        classes.ensure_class(s, name="K")
        classes.enrol(s, class_name="K", username="t1", role=Role.TEACHER)
        classes.enrol(s, class_name="K", username="s1")
        classes.enrol(s, class_name="K", username="s2")
        classes.add_course(s, class_name="K", course_id="steps")
    yield TestClient(create_app(backend))
    backend.close()


def login(app: TestClient, username: str) -> TestClient:
    c = TestClient(app.app)
    r = c.post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD, "kind": "api"}
    )
    assert r.status_code == 200, r.text
    c.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return c


def answer(c: TestClient, item: str, right: bool = True) -> dict:  # type: ignore[type-arg]
    body = {"course_id": "steps", "item_id": item, "response": RIGHT[item] if right else "99"}
    r = c.post("/api/v1/attempts", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_practice_follows_the_policy_until_done_then_a_review_falls_due(app: TestClient) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        s1 = login(app, "s1")
        nxt = s1.get("/api/v1/next/steps").json()
        assert (nxt["kind"], nxt["concept_id"], nxt["reason"]) == ("item", "halves", "start")
        assert "Halves" in nxt["explanation"]
        seen, answered = [], 0
        while nxt["kind"] != "done":
            assert nxt["item_id"] not in seen[-1:], "the same item twice in a row"
            seen.append(nxt["item_id"])
            clock.shift(timedelta(minutes=2))
            nxt = answer(s1, nxt["item_id"])["next_item"]
            answered += 1
            assert answered < 40, f"never done: {seen}"
        # prerequisites first: no quarters before halves was practised, no eighths before
        first = {c: next(i for i, k in enumerate(seen) if k[0] == c[0]) for c in ("h", "q", "e")}
        assert first["h"] < first["q"] < first["e"]
        assert nxt["next_review_at"] is not None
        assert "review" in nxt["explanation"]
        due_at = datetime.fromisoformat(nxt["next_review_at"])
        assert due_at > T0

        # a day later nothing has faded yet
        clock.move_to(T0 + timedelta(days=1))
        assert s1.get("/api/v1/next/steps").json()["kind"] == "done"

        # once the first review is due, the concept comes back, marked as a review
        clock.move_to(due_at + timedelta(hours=1))
        nxt = s1.get("/api/v1/next/steps").json()
        assert nxt["kind"] == "review" and nxt["reason"] == "review"
        assert nxt["concept_id"] in nxt["due_reviews"]
        reviewed = nxt["concept_id"]
        after = answer(s1, nxt["item_id"])["next_item"]
        assert reviewed not in after["due_reviews"]  # the answer updated the forgetting model

        zh = s1.get("/api/v1/next/steps", params={"lang": "zh"}).json()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh["explanation"])


def test_after_mistakes_another_item_then_the_course_page(app: TestClient) -> None:
    s1 = login(app, "s1")
    first = answer(s1, "h1", right=False)["next_item"]
    assert (first["reason"], first["concept_id"]) == ("retry", "halves")
    assert first["item_id"] != "h1"
    second = answer(s1, first["item_id"], right=False)["next_item"]
    # the second mistake in a row: a page to read, with the item to try after it
    assert second["reason"] in {"read", "retry"}
    assert second["item_id"] not in {first["item_id"]}


def test_the_path_to_a_goal_set_by_the_teacher_or_the_student(app: TestClient) -> None:
    s2, teacher = login(app, "s2"), login(app, "t1")
    assert s2.get("/api/v1/path/steps").json()["steps"] == []  # no goal yet
    path = s2.get("/api/v1/path/steps", params={"goal": "eighths"}).json()
    assert [st["concept_id"] for st in path["steps"]] == ["halves", "quarters", "eighths"]
    assert [st["ready"] for st in path["steps"]] == [True, False, False]
    assert all(st["answers"] >= 1 for st in path["steps"])
    assert path["answers"] == sum(st["answers"] for st in path["steps"])

    klass = teacher.get("/api/v1/classes").json()[0]["id"]
    r = teacher.put(f"/api/v1/classes/{klass}/goals/steps", json={"concept_id": "quarters"})
    assert r.status_code == 200, r.text
    path = s2.get("/api/v1/path/steps").json()
    assert (path["goal"], path["goal_source"]) == ("quarters", "class")
    assert [st["concept_id"] for st in path["steps"]] == ["halves", "quarters"]

    # recomputed after each answer
    for item in ("h1", "h2", "h3", "h1", "h2", "h3"):
        answer(s2, item)
    path = s2.get("/api/v1/path/steps").json()
    assert [st["concept_id"] for st in path["steps"]] == ["quarters"]
    nxt = s2.get("/api/v1/next/steps").json()
    assert (nxt["reason"], nxt["goal"]) == ("goal", "quarters")

    # the student's own goal wins over the class's
    assert s2.put("/api/v1/goals/steps", json={"concept_id": "eighths"}).json()["goal"] == "eighths"
    own = s2.get("/api/v1/path/steps").json()
    assert (own["goal"], own["goal_source"]) == ("eighths", "own")
    r = s2.put("/api/v1/goals/steps", json={"concept_id": "nope"})
    assert r.status_code == 404 and "nope" in r.json()["error"]["message"]


def test_a_course_can_choose_its_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    pack = dict(PACK)
    pack["course.yaml"] = PACK["course.yaml"] + "settings: {policy: fixed}\n"
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", data_dir=tmp_path / "d")
    backend = Backend.open(settings, check_schema=False)
    backend.upgrade()
    with backend.transaction() as s:
        courses.import_path(s, path=write_pack(tmp_path / "steps", pack))
        users.create_user(s, username="s1", password=PASSWORD)
        classes.ensure_class(s, name="K")
        classes.enrol(s, class_name="K", username="s1")
        classes.add_course(s, class_name="K", course_id="steps")
    app = TestClient(create_app(backend))
    s1 = login(app, "s1")
    nxt = s1.get("/api/v1/next/steps").json()
    assert (nxt["policy"], nxt["reason"], nxt["item_id"]) == ("fixed", "course_order", "h1")
    after = answer(s1, "h1", right=False)["next_item"]
    assert after["item_id"] == "h2"  # the textbook moves on, whatever happened
    # asked for another policy, for comparison
    adaptive = s1.get("/api/v1/next/steps", params={"policy": "adaptive"}).json()
    assert (adaptive["policy"], adaptive["reason"]) == ("adaptive", "retry")
    backend.close()


def test_a_course_pack_with_an_unknown_policy_is_refused(tmp_path: Path) -> None:
    from learnloop.courses import load_pack
    from learnloop.errors import CoursePackError

    pack = dict(PACK)
    pack["course.yaml"] = PACK["course.yaml"] + "settings: {policy: clever}\n"
    with pytest.raises(CoursePackError) as err:
        load_pack(write_pack(tmp_path / "steps", pack))
    assert "policy must be one of adaptive, prerequisite-first, fixed" in str(err.value.problems)
