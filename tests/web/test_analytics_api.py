"""The teacher's analytics over HTTP: the mastery map, a student's history, item statistics
and tutor questions, each limited to the teacher's own classes."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.web.conftest import School


def answer(client: TestClient, item: str, response: str | list[str]) -> None:
    r = client.post(
        "/api/v1/attempts", json={"course_id": "tiny", "item_id": item, "response": response}
    )
    assert r.status_code == 201, r.text


def get(client: TestClient, path: str, status: int = 200, **params: Any) -> dict[str, Any]:
    r = client.get(f"/api/v1/analytics{path}", params=params)
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    return body


def q1_stats(teacher: TestClient) -> dict[str, Any]:
    items = get(teacher, "/courses/tiny/items")["items"]
    return next(i for i in items if i["item_id"] == "q1")


def test_a_teacher_sees_the_wrong_answers_and_the_override(school: School) -> None:
    stud_a, stud_a2 = school.client("stud_a"), school.client("stud_a2")
    teacher = school.client("teach_a")
    answer(stud_a, "q1", "0.4")
    answer(stud_a, "q1", "0.4")
    answer(stud_a2, "q1", "1/2")
    q1 = q1_stats(teacher)
    assert q1["share_correct"] == 0.3333  # rounded to 4 places
    assert q1["wrong_answers"] == [{"answer": "0.4", "choice_text": {}, "count": 2, "students": 1}]

    answer(stud_a, "q3", "the top and bottom are doubled")
    pending = next(i for i in get(teacher, "/courses/tiny/items")["items"] if i["item_id"] == "q3")
    assert pending["pending_review"] == 1 and pending["share_correct"] is None
    queued = teacher.get("/api/v1/reviews", params={"status": "pending"}).json()
    r = teacher.post(f"/api/v1/reviews/{queued[0]['id']}/override", json={"verdict": "correct"})
    assert r.status_code == 200, r.text
    q3 = next(i for i in get(teacher, "/courses/tiny/items")["items"] if i["item_id"] == "q3")
    assert (q3["share_correct"], q3["pending_review"]) == (1.0, 0)

    history = get(teacher, f"/students/{school.ids['stud_a']}/history", course_id="tiny")
    attempts = history["courses"][0]["attempts"]
    assert [a["item_id"] for a in attempts] == ["q1", "q1", "q3"]
    assert attempts[-1]["reviewed"] and attempts[-1]["grades"][-1]["graded_by"] == "teach_a"
    assert attempts[0]["submitted_at"].endswith(("Z", "+00:00"))

    matrix = get(teacher, f"/classes/{school.ids['Class A']}/mastery", course_id="tiny")
    assert [s["username"] for s in matrix["students"]] == ["stud_a", "stud_a2"]
    assert [c["concept_id"] for c in matrix["concepts"]] == ["halves", "quarters"]
    assert len(matrix["p_mastery"]) == 2 and len(matrix["p_mastery"][0]) == 2
    assert matrix["attempts"][0] == [3, 1]  # q3 practises both concepts


def test_a_teacher_of_class_b_cannot_see_class_a(school: School) -> None:
    answer(school.client("stud_a"), "q1", "0.4")
    teach_b = school.client("teach_b")
    class_a, stud_a = school.ids["Class A"], school.ids["stud_a"]
    refused = get(teach_b, f"/classes/{class_a}/mastery", 404, course_id="tiny")
    assert refused["error"]["code"] == "not_found"
    assert refused["error"]["message"] == f"no class with id {class_a}"
    get(teach_b, f"/students/{stud_a}/history", 404)
    get(teach_b, "/courses/other/items", 404, class_id=class_a)
    get(teach_b, "/courses/other/tutor-questions", 404, class_id=class_a)
    forbidden = get(teach_b, "/courses/tiny/items", 403)
    assert "ask an admin to add the course to your class" in forbidden["error"]["message"]
    assert get(teach_b, "/courses/other/items")["students"] == 0

    student = school.client("stud_a")
    get(student, f"/classes/{class_a}/mastery", 403, course_id="tiny")
    get(student, "/courses/tiny/items", 403)
    get(student, f"/students/{school.ids['stud_a2']}/history", 404)
    assert get(student, f"/students/{stud_a}/history")["username"] == "stud_a"
    get(school.client(None), "/courses/tiny/items", 401)

    admin = school.client("admin")
    assert get(admin, f"/classes/{class_a}/mastery", course_id="tiny")["class_name"] == "Class A"
    assert q1_stats(admin)["attempts"] == 1


def test_tutor_questions_by_concept(school: School) -> None:
    student = school.client("stud_a")
    for message, item in [("How do I spot a quarter?", "q2"), ("What is a half?", None)]:
        r = student.post(
            "/api/v1/tutor/messages",
            json={"course_id": "tiny", "message": message, "item_id": item},
        )
        assert r.status_code == 200, r.text
    found = get(school.client("teach_a"), "/courses/tiny/tutor-questions")
    assert found["total_questions"] == 2
    by_concept = {g["concept_id"]: g for g in found["groups"]}
    quarters = by_concept["quarters"]["latest"][0]
    assert quarters["text"] == "How do I spot a quarter?" and quarters["username"] == "stud_a"
    assert quarters["asked_at"].endswith(("Z", "+00:00"))
    get(school.client("teach_a"), "/courses/tiny/tutor-questions", 422, latest=1000)
