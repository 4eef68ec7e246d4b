"""CSV roster import: creates or updates students, all or nothing, errors by line number."""

from __future__ import annotations

import logging

import pytest

from tests.web.conftest import School


def post_csv(school: School, user: str, class_key: str, text: str):  # type: ignore[no-untyped-def]
    return school.client(user).post(
        f"/api/v1/classes/{school.ids[class_key]}/roster.csv",
        content=text.encode(),
        headers={"Content-Type": "text/csv"},
    )


def test_roster_creates_and_updates_students(school: School) -> None:
    csv_text = (
        "username,display_name,password,language\nli.lei,李雷,password-li,zh\nstud_a,Anna A,,en\n"
    )
    r = post_csv(school, "teach_a", "Class A", csv_text)
    assert r.status_code == 200, r.text
    assert r.json() == {"created": ["li.lei"], "updated": ["stud_a"], "enrolled": ["li.lei"]}
    roster = school.client("teach_a").get(f"/api/v1/classes/{school.ids['Class A']}/roster").json()
    names = {m["username"]: m for m in roster}
    assert names["li.lei"]["display_name"] == "李雷"
    assert names["stud_a"]["display_name"] == "Anna A"
    login = school.app_client.post(
        "/api/v1/auth/login", json={"username": "li.lei", "password": "password-li"}
    )
    assert login.status_code == 200


def test_a_new_password_from_the_roster_ends_the_students_logins(
    school: School, caplog: pytest.LogCaptureFixture
) -> None:
    """Whoever held the student's session before the reset is out, and the reset is logged;
    a roster line without a password leaves the logins alone."""
    student = school.client("stud_a")
    assert student.get("/api/v1/me").status_code == 200
    assert post_csv(school, "teach_a", "Class A", "username,password\nstud_a,\n").status_code == 200
    assert student.get("/api/v1/me").status_code == 200
    with caplog.at_level(logging.INFO, logger="learnloop.services.classes"):
        r = post_csv(school, "teach_a", "Class A", "username,password\nstud_a,fresh-pass-1\n")
    assert r.status_code == 200, r.text
    assert student.get("/api/v1/me").status_code == 401
    assert any("new password for 'stud_a'" in m for m in caplog.messages)
    login = school.app_client.post(
        "/api/v1/auth/login", json={"username": "stud_a", "password": "fresh-pass-1"}
    )
    assert login.status_code == 200


def test_bad_rows_are_reported_by_line_and_nothing_changes(school: School) -> None:
    csv_text = (
        "username,display_name,password\n"
        "good.one,Good,password-good\n"
        ",No name,password-x\n"
        "new.kid,New,short\n"
        "teach_b,Teacher,password-tt\n"
        "good.one,Again,password-good\n"
    )
    r = post_csv(school, "teach_a", "Class A", csv_text)
    assert r.status_code == 422
    problems = r.json()["error"]["details"]["problems"]
    assert [p.split(":")[0] for p in problems] == ["line 3", "line 4", "line 5", "line 6"]
    assert "nothing was changed" in r.json()["error"]["message"]
    roster = school.client("teach_a").get(f"/api/v1/classes/{school.ids['Class A']}/roster").json()
    assert "good.one" not in {m["username"] for m in roster}


def test_only_the_class_teacher_may_import(school: School) -> None:
    text = "username,password\nx.y,password-xy\n"
    assert post_csv(school, "teach_b", "Class A", text).status_code == 404
    assert post_csv(school, "stud_a", "Class A", text).status_code == 403
