"""Long teacher pages come a page at a time: the mastery map by students and item statistics
by questions, with links that keep the page's filters, while the class's averages, counts and
who may be stuck still cover everyone. The start page counts the whole review queue, and the
class overview of the API reads the same numbers as the map."""

from __future__ import annotations

import re

import pytest

from learnloop.services import classes, progress, users
from learnloop.services.access import check_course
from learnloop.storage.tables import User
from learnloop.web.pages.teach import reports
from tests.web.conftest import PASSWORD, School
from tests.web.test_teacher_pages import browser, text_of

NEW = ["s1", "s2", "s3", "s4", "s5"]


@pytest.fixture
def big_class(school: School, monkeypatch: pytest.MonkeyPatch) -> School:
    """Class A with seven students, two a page; stud_a and s1 stuck on halves."""
    with school.backend.transaction() as s:
        for name in NEW:
            users.create_user(s, username=name, password=PASSWORD)
            classes.enrol(s, class_name="Class A", username=name)
    for name in ("stud_a", "s1"):
        client = browser(school, name)
        for _ in range(4):
            r = client.post(
                "/api/v1/attempts", json={"course_id": "tiny", "item_id": "q1", "response": "9"}
            )
            assert r.status_code == 201, r.text
    client = browser(school, "s2")
    for item, response in (("q2", ["a"]), ("q3", "doubled"), ("q3", "both doubled")):
        client.post(
            "/api/v1/attempts", json={"course_id": "tiny", "item_id": item, "response": response}
        )
    monkeypatch.setattr(reports, "STUDENTS_PER_PAGE", 2)
    monkeypatch.setattr(reports, "ITEMS_PER_PAGE", 2)
    monkeypatch.setattr(reports, "STUCK_SHOWN", 1)
    return school


def _students(page: str) -> list[str]:
    return re.findall(r'<tr data-student="([^"]+)"', page)


def test_the_mastery_map_shows_a_page_of_students_and_sums_up_the_class(
    big_class: School,
) -> None:
    teacher = browser(big_class, "teach_a")
    url = f"/teach/classes/{big_class.ids['Class A']}/courses/tiny/mastery"
    everyone = sorted(["stud_a", "stud_a2", *NEW])
    pages = [teacher.get(f"{url}?page={n}").text for n in (1, 2, 3, 4)]
    assert [_students(p) for p in pages] == [
        everyone[0:2],
        everyone[2:4],
        everyone[4:6],
        ["stud_a2"],
    ]
    assert teacher.get(url).text.count("<tr data-student") == 2  # page 1 by default
    assert _students(teacher.get(f"{url}?page=99").text) == ["stud_a2"]  # past the end: the last
    assert teacher.get(f"{url}?page=0").status_code == 422
    first = pages[0]
    assert "Students 1–2 of 7, by username." in text_of(first)
    assert f'href="{url}?page=2" rel="next"' in first
    assert f'href="{url}?page=1" aria-current="page"' in first
    assert f'href="{url}?page=3" rel="next"' in pages[1] and 'rel="prev"' in pages[1]
    # the chart draws the page's students only
    chart = re.search(r'id="mastery-chart-data">(.*?)</script>', first)
    assert chart is not None and '"s1"' in chart.group(1) and '"s3"' not in chart.group(1)
    # the class's sums cover all seven, on every page
    for page in pages:
        assert "cover the whole class" in text_of(page)
        assert re.search(r"Mastered by\s*</th>\s*<td class=\"cell\">\d+ / 7</td>", page)
        assert "… and 1 more." in text_of(page)  # two stuck, one shown
    stuck = re.search(r'<ul class="stuck" id="stuck-list">(.*?)</ul>', first, re.S)
    assert stuck is not None and stuck.group(1).count("<li>") == 1


def test_item_statistics_come_a_page_of_questions_at_a_time(big_class: School) -> None:
    teacher = browser(big_class, "teach_a")
    base = "/teach/courses/tiny/items"

    def items(page: str) -> list[str]:
        return re.findall(r'<tr data-item="([^"]+)"', page)

    every = teacher.get(f"{base}?show=all&class_id={big_class.ids['Class A']}").text
    assert items(every) == ["q1", "q2"]
    assert "Questions 1–2 of 3, in course order." in text_of(every)
    link = re.search(r'href="([^"]+)" rel="next"', every)
    assert link is not None
    nxt = link.group(1).replace("&amp;", "&")
    assert "show=all" in nxt and f"class_id={big_class.ids['Class A']}" in nxt and "page=2" in nxt
    second = teacher.get(nxt).text
    assert items(second) == ["q3"]
    chart = re.search(r'id="items-chart-data">(.*?)</script>', every)
    assert chart is not None and '"q1"' in chart.group(1) and '"q3"' not in chart.group(1)
    answered = teacher.get(base).text  # every question has answers here: two pages
    assert items(answered) == ["q1", "q2"] and 'rel="next"' in answered


def test_the_start_page_counts_every_waiting_review(big_class: School) -> None:
    teacher = browser(big_class, "teach_a")
    home = text_of(teacher.get("/teach").text)
    assert "Review queue: 2 waiting" in home  # s2's two free-text answers
    # the queue says where the teacher is in it, with the same count
    assert "1–2 of 2" in text_of(teacher.get("/teach/reviews").text)
    assert "of 2" not in text_of(teacher.get("/teach/reviews?status=decided").text)


def test_the_api_overview_reads_the_maps_numbers(big_class: School) -> None:
    class_id = big_class.ids["Class A"]
    r = big_class.client("teach_a").get(f"/api/v1/classes/{class_id}/overview/tiny")
    assert r.status_code == 200, r.text
    with big_class.backend.transaction() as s:
        admin = s.get(User, big_class.ids["admin"])
        assert admin is not None
        course = check_course(s, admin, "tiny")
        expected = progress.class_overview(s, class_id=class_id, course=course)
    body = r.json()
    assert body["concepts"] == ["halves", "quarters"]
    assert body["students"] == [vars(row) for row in expected]
    assert len(body["students"]) == 7
    assert (
        big_class.client("teach_b").get(f"/api/v1/classes/{class_id}/overview/tiny").status_code
        == 404
    )
