"""Learned free-text grading in the answer loop, the teacher review queue, and retraining.

A weak TF-IDF grader (six answers) grades the tiny course's free-text item q3. Answers it is
unsure of go to the queue; teachers confirm or override them; their labels train the next
grader, which replaces the first only if it is not worse on held-out answers.
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from learnloop.services import courses, graders
from learnloop.services.retrain import retrain_grader
from learnloop.storage.tables import GradeRow, GradingLabelRow, MasteryRow, ReviewRow
from tests.conftest import TINY_PACK, write_pack
from tests.freetext_data import BAD, BASE, CONFIDENT, GOOD, UNSURE, register_weak_grader
from tests.web.conftest import School


def answer(client: TestClient, text: str, language: str = "en") -> dict[str, Any]:
    r = client.post(
        "/api/v1/attempts",
        json={"course_id": "tiny", "item_id": "q3", "response": text, "language": language},
    )
    assert r.status_code == 201, r.text
    return r.json()


def reviews(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    r = client.get("/api/v1/reviews", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def set_threshold(school: School, root: Path, threshold: float) -> None:
    """Re-import the tiny pack with ``review_threshold`` set, as a teacher would."""
    pack = dict(TINY_PACK)
    pack["course.yaml"] = textwrap.dedent(TINY_PACK["course.yaml"]) + (
        f"settings:\n  review_threshold: {threshold}\n"
    )
    path = write_pack(root / f"tiny-{threshold}", pack)
    with school.backend.transaction() as s:
        courses.import_path(s, path=path)


def wait_for(client: TestClient, job_id: int, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


@pytest.fixture
def graded(school: School) -> School:
    """The school with the weak grader active for course tiny."""
    school.ids["seed"] = register_weak_grader(school.backend)
    return school


def test_without_a_model_free_text_waits_for_a_teacher(school: School) -> None:
    body = answer(school.client("stud_a"), CONFIDENT)
    assert body["grade"]["grader"] == "pending.teacher"
    assert body["grade"]["provisional"] is True
    assert body["grade"]["feedback"] == "Your answer was saved; your teacher will grade it."
    queued = reviews(school.client("teach_a"))
    assert [q["reason"] for q in queued] == [
        "free text awaits a teacher (no learned grader is active for this course)"
    ]
    confirm = school.client("teach_a").post(f"/api/v1/reviews/{queued[0]['id']}/confirm", json={})
    assert confirm.status_code == 422
    assert "override it with a verdict" in confirm.json()["error"]["message"]


def test_a_confident_grade_stands_and_says_what_was_covered(graded: School) -> None:
    body = answer(graded.client("stud_a"), CONFIDENT)
    grade = body["grade"]
    assert grade["grader"] == "learned.tfidf"
    assert grade["verdict"] == "correct" and grade["score"] == 1.0
    assert grade["confidence"] >= 0.8 and grade["provisional"] is False
    assert grade["feedback"] == (
        "Correct. You covered the key point: “Both numerator and denominator are doubled”."
    )
    assert body["mastery"]["halves"] > 0.5  # a final grade moves mastery at once
    assert reviews(graded.client("teach_a")) == []


def test_an_unsure_grade_is_provisional_and_queued(graded: School) -> None:
    student = graded.client("stud_a")
    body = answer(student, UNSURE)
    grade = body["grade"]
    assert grade["provisional"] is True and grade["confidence"] < 0.8
    assert grade["feedback"].endswith("This grade is provisional: your teacher will check it.")
    assert "still missing “Both numerator and denominator are doubled”" in grade["feedback"]
    with graded.backend.transaction() as s:  # nothing moved while the grade is provisional
        assert s.scalar(select(func.count()).select_from(MasteryRow)) == 0
    [queued] = reviews(graded.client("teach_a"))
    assert queued["status"] == "pending"
    assert queued["answer"] == UNSURE and queued["student"]["username"] == "stud_a"
    assert queued["grade"]["confidence"] == grade["confidence"]
    assert queued["grade"]["details"]["coverage"]["missing"] == [
        "Both numerator and denominator are doubled"
    ]
    assert queued["reason"].startswith("the learned grader's confidence 0.")
    assert queued["reason"].endswith("is below the course's review threshold 0.80")


def test_feedback_speaks_the_students_language(graded: School) -> None:
    body = answer(graded.client("stud_a"), "分子和分母都乘以 2", language="zh")
    feedback = body["grade"]["feedback"]
    assert "你答到了所有要点：“分子分母都乘”" in feedback
    assert feedback.endswith("这是暂定的评分，老师会进行复核。")
    assert body["grade"]["provisional"] is True  # an English-trained grader is unsure here


def test_the_course_threshold_decides_what_a_teacher_sees(graded: School, tmp_path: Path) -> None:
    student = graded.client("stud_a")
    set_threshold(graded, tmp_path, 0.0)
    assert answer(student, UNSURE)["grade"]["provisional"] is False
    set_threshold(graded, tmp_path, 1.0)
    confident = answer(student, CONFIDENT)["grade"]
    assert confident["provisional"] is True
    [queued] = reviews(graded.client("teach_a"))
    assert queued["answer"] == CONFIDENT
    assert queued["reason"].endswith("below the course's review threshold 1.00")


def test_confirm_and_override_make_final_grades_move_mastery_and_keep_labels(
    graded: School,
) -> None:
    student, teacher = graded.client("stud_a"), graded.client("teach_a")
    answer(student, UNSURE)
    answer(student, "you add 2 to both numbers")
    pending = reviews(teacher, status="pending")
    assert [q["answer"] for q in pending] == [UNSURE, "you add 2 to both numbers"]

    override = teacher.post(
        f"/api/v1/reviews/{pending[0]['id']}/override",
        json={"verdict": "correct", "note": "times two is doubling"},
    )
    assert override.status_code == 200, override.text
    decided = override.json()
    assert decided["status"] == "overridden" and decided["reviewer"] == "teach_a"
    assert decided["final_grade"]["verdict"] == "correct"
    assert decided["final_grade"]["score"] == 1.0
    assert decided["final_grade"]["feedback"] == "Correct. Your teacher reviewed this grade."
    assert decided["note"] == "times two is doubling"

    second = pending[1]
    machine = second["grade"]["verdict"]
    confirm = teacher.post(f"/api/v1/reviews/{second['id']}/confirm", json={})
    assert confirm.status_code == 200, confirm.text
    final = confirm.json()["final_grade"]
    assert final["verdict"] == machine
    assert "provisional" not in final["feedback"]
    assert final["feedback"].endswith("Your teacher reviewed this grade.")

    again = teacher.post(f"/api/v1/reviews/{second['id']}/confirm", json={})
    assert again.status_code == 409
    assert "already decided (confirmed by teach_a)" in again.json()["error"]["message"]

    # the student sees the final grades; pending reviews come first, then the decided ones
    listed = student.get("/api/v1/attempts", params={"course_id": "tiny"}).json()
    assert [a["provisional"] for a in listed] == [False, False]
    assert listed[0]["verdict"] == "correct"
    assert [q["status"] for q in reviews(teacher)] == ["confirmed", "overridden"]
    mastery = student.get(f"/api/v1/students/{graded.ids['stud_a']}/mastery/tiny").json()
    assert all(m["attempts"] == 2 for m in mastery)
    with graded.backend.transaction() as s:
        labels = s.scalars(select(GradingLabelRow).order_by(GradingLabelRow.id)).all()
        assert [(x.answer, x.label, x.source) for x in labels] == [
            (UNSURE, "correct", "override"),
            ("you add 2 to both numbers", machine, "confirm"),
        ]
        assert {x.teacher_id for x in labels} == {graded.ids["teach_a"]}


def test_only_the_students_teachers_and_admins_see_and_decide(graded: School) -> None:
    answer(graded.client("stud_a"), UNSURE)
    [queued] = reviews(graded.client("admin"))
    assert reviews(graded.client("teach_b")) == []
    assert reviews(graded.client("teach_a"), course_id="other") == []
    student = graded.client("stud_a")
    assert student.get("/api/v1/reviews").status_code == 403
    url = f"/api/v1/reviews/{queued['id']}/override"
    assert student.post(url, json={"verdict": "correct"}).status_code == 403
    hidden = graded.client("teach_b").post(url, json={"verdict": "correct"})
    missing = graded.client("teach_b").post(
        "/api/v1/reviews/987654/override", json={"verdict": "correct"}
    )
    assert hidden.status_code == 404
    assert hidden.json()["error"]["message"] == f"no review with id {queued['id']}"
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "no review with id 987654"
    retrain = graded.client("teach_b").post("/api/v1/courses/tiny/grader/retrain")
    assert retrain.status_code == 403
    assert graded.client("stud_a").get("/api/v1/courses/tiny/grader/models").status_code == 403
    with graded.backend.transaction() as s:
        assert s.scalar(select(ReviewRow.status).where(ReviewRow.id == queued["id"])) == "pending"


def test_teacher_overrides_train_a_grader_that_replaces_a_worse_one(graded: School) -> None:
    """The loop: unsure grades -> queue -> teachers decide -> retrain -> the new grader is
    active because it is not worse on held-out answers, and grades from then on."""
    student, teacher = graded.client("stud_a"), graded.client("teach_a")
    truth = {a: "correct" for a in GOOD[BASE:]} | {a: "incorrect" for a in BAD[BASE:]}
    for text in truth:
        answer(student, text)
    queue = reviews(teacher, status="pending")
    assert len(queue) >= len(truth) // 2, "the weak grader should be unsure of many answers"
    overridden = 0
    for item in queue:
        right = truth[item["answer"]]
        if item["grade"]["verdict"] == right:
            r = teacher.post(f"/api/v1/reviews/{item['id']}/confirm", json={})
        else:
            overridden += 1
            r = teacher.post(f"/api/v1/reviews/{item['id']}/override", json={"verdict": right})
        assert r.status_code == 200, r.text
    assert overridden, "the weak grader should get some answers wrong"

    started = teacher.post("/api/v1/courses/tiny/grader/retrain", json={"kind": "tfidf"})
    assert started.status_code == 202, started.text
    assert started.json()["status"] in ("queued", "running", "succeeded")
    job = wait_for(teacher, started.json()["id"])
    assert job["status"] == "succeeded", job
    report = job["result"]
    assert report["kept"] == "new", report["reason"]
    assert report["teacher_labels"] == len(queue)
    assert report["train_examples"] == 2 * BASE + len(queue) - report["heldout_examples"]
    new, old = report["new_scores"], report["current_scores"]
    assert (new["macro_f1"], new["accuracy"]) >= (old["macro_f1"], old["accuracy"])
    assert report["reason"].startswith("the new model is not worse: macro-F1")

    models = teacher.get("/api/v1/courses/tiny/grader/models").json()
    assert [(m["id"], m["active"]) for m in models] == [
        (report["model_id"], True),
        (graded.ids["seed"], False),
    ]
    assert models[0]["metrics"]["heldout"] == new
    assert models[0]["metrics"]["compared_with"] == {"model_id": graded.ids["seed"], "heldout": old}

    # the next answer is graded by the new model: the process noticed the registry change
    after = answer(student, UNSURE)
    assert after["grade"]["grader"] == "learned.tfidf"
    with graded.backend.transaction() as s:
        details = s.scalar(
            select(GradeRow.details).where(GradeRow.attempt_id == after["attempt_id"])
        )
    assert details is not None and details["model_id"] == report["model_id"]


def test_a_worse_new_model_is_registered_but_the_active_one_stays(graded: School) -> None:
    student, teacher = graded.client("stud_a"), graded.client("teach_a")
    set_queue = {a: "correct" for a in GOOD[BASE:]} | {a: "incorrect" for a in BAD[BASE:]}
    for text in set_queue:
        answer(student, text)
    for item in reviews(teacher, status="pending"):
        teacher.post(
            f"/api/v1/reviews/{item['id']}/override",
            json={"verdict": set_queue[item["answer"]]},
        )
    # a grader that always says the commonest label cannot beat the TF-IDF one
    report = retrain_grader(graded.backend, "tiny", kind="majority")
    assert report.kept == "current"
    assert report.reason.startswith("the new model is worse: macro-F1")
    assert report.reason.endswith("the active model stays")
    models = teacher.get("/api/v1/courses/tiny/grader/models").json()
    assert [(m["id"], m["active"]) for m in models] == [
        (report.model_id, False),
        (graded.ids["seed"], True),
    ]
    assert models[0]["metrics"]["kept"] == "current"
    assert answer(student, CONFIDENT)["grade"]["grader"] == "learned.tfidf"


def test_retraining_with_nothing_to_learn_from_fails_the_job_with_the_reason(
    school: School,
) -> None:
    teacher = school.client("teach_a")
    started = teacher.post("/api/v1/courses/tiny/grader/retrain", json={"kind": "tfidf"})
    assert started.status_code == 202
    job = wait_for(teacher, started.json()["id"])
    assert job["status"] == "failed"
    assert job["error"].startswith("there is nothing to train the grader of course 'tiny' on")
    assert school.client("stud_a").get(f"/api/v1/jobs/{job['id']}").status_code == 404
    assert school.client("teach_b").get(f"/api/v1/jobs/{job['id']}").status_code == 404
    assert school.client("admin").get(f"/api/v1/jobs/{job['id']}").status_code == 200


def test_a_course_without_a_model_of_its_own_uses_the_default(graded: School) -> None:

    with graded.backend.transaction() as s:
        default = graders.import_model(
            s,
            data_dir=graded.backend.settings.data_dir,
            course=None,
            source=graded.backend.settings.data_dir / "seed-grader",
            name="default",
        )
        default_id = default.id
    other = graded.client("stud_b").post(
        "/api/v1/attempts", json={"course_id": "other", "item_id": "q3", "response": CONFIDENT}
    )
    tiny = answer(graded.client("stud_a"), CONFIDENT)
    with graded.backend.transaction() as s:
        used = dict(
            s.execute(
                select(GradeRow.attempt_id, GradeRow.details).where(
                    GradeRow.attempt_id.in_([other.json()["attempt_id"], tiny["attempt_id"]])
                )
            ).all()
        )
    assert used[other.json()["attempt_id"]]["model_id"] == default_id
    assert used[tiny["attempt_id"]]["model_id"] == graded.ids["seed"]  # the course's own
