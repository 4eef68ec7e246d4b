"""The pages without a browser: logging in through the form, the language a visitor gets, the
error pages (what went wrong and what to do, never a stack trace), what a student may open,
and the answer form. The browser tests are in ``tests/e2e``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from learnloop.errors import PermissionDeniedError
from learnloop.services import history, progress
from learnloop.services.access import check_course
from learnloop.storage.tables import AttemptRow
from learnloop.web.i18n import LANGUAGE_COOKIE, choose_language, from_accept_language
from tests.web.conftest import DATABASES, PASSWORD, School, school_on

HTML = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
Clients = Callable[[str | None], TestClient]


@pytest.fixture(scope="module", params=DATABASES)
def school(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[School]:
    with school_on(request.param, tmp_path_factory.mktemp("pages")) as school:
        yield school


def browser(school: School, username: str | None = None, **headers: str) -> TestClient:
    """A client that asks for HTML as a browser does, logged in through the login form."""
    client = TestClient(
        school.app_client.app,
        headers={**HTML, **headers},
        follow_redirects=False,
        raise_server_exceptions=False,
    )
    if username is not None:
        r = client.post("/login", data={"username": username, "password": PASSWORD})
        assert r.status_code == 303, r.text
    return client


@pytest.fixture(scope="module")
def student(school: School) -> TestClient:
    return browser(school, "stud_a")


@pytest.fixture(scope="module")
def clients(school: School) -> Clients:
    return cache(lambda username: browser(school, username))


def main_text(response: httpx.Response) -> str:
    """The visible words of the page's <main>, tags stripped."""
    found = re.search(r"<main[^>]*>(.*)</main>", response.text, re.S)
    assert found, response.text[:500]
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


# --- logging in and out ----------------------------------------------------------------------


def test_a_page_that_needs_a_login_leads_to_the_login_page_and_back(school: School) -> None:
    client = browser(school)
    r = client.get("/courses/tiny?x=1")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/courses/tiny%3Fx%3D1"
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    assert 'name="next" value="/courses/tiny?x=1"' in page.text
    assert "Log in to see that page." in main_text(page)

    wrong = client.post(
        "/login", data={"username": "stud_a", "password": "nope-nope", "next": "/courses/tiny"}
    )
    assert wrong.status_code == 401
    assert "Wrong username or password" in main_text(wrong)
    assert "learnloop_session" not in wrong.cookies

    right = client.post(
        "/login", data={"username": "stud_a", "password": PASSWORD, "next": "/courses/tiny"}
    )
    assert right.status_code == 303 and right.headers["location"] == "/courses/tiny"
    cookie = right.headers["set-cookie"]
    assert "learnloop_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/courses/tiny").status_code == 200
    # the cookie logs in to the JSON API too: the tutor's fetch() calls use it
    assert client.get("/api/v1/me", headers={"Accept": "application/json"}).status_code == 200


def test_login_goes_only_to_pages_of_this_site(school: School) -> None:
    for outside in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "courses"):
        r = browser(school).post(
            "/login", data={"username": "stud_a", "password": PASSWORD, "next": outside}
        )
        assert r.headers["location"] == "/courses", outside


def test_an_empty_login_form_says_what_is_missing(school: School) -> None:
    r = browser(school).post("/login", data={"username": " ", "password": ""})
    assert r.status_code == 422
    assert "Type both your username and your password." in main_text(r)


def test_logout_ends_the_login(school: School) -> None:
    client = browser(school, "stud_a2")
    token = client.cookies["learnloop_session"]
    r = client.post("/logout")
    assert r.status_code == 303 and r.headers["location"] == "/login?bye=1"
    assert "You have logged out." in main_text(client.get("/login?bye=1"))
    stale = browser(school)
    stale.cookies.set("learnloop_session", token)
    assert stale.get("/courses").headers["location"] == "/login?next=/courses"


def test_home_leads_to_the_courses_or_the_login(school: School, student: TestClient) -> None:
    assert browser(school).get("/").headers["location"] == "/login"
    assert student.get("/").headers["location"] == "/courses"


# --- language ---------------------------------------------------------------------------------


def test_the_browser_language_decides_until_the_switch_is_used(school: School) -> None:
    assert from_accept_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert from_accept_language("fr-FR, en;q=0.5, zh;q=0.7") == "zh"
    assert from_accept_language("en-GB,en;q=0.9") == "en"
    assert from_accept_language("fr, de;q=0.9, zh;q=0") is None
    assert from_accept_language("garbage;;,q=x") is None
    assert choose_language("en", "zh-CN", "zh") == "en"
    assert choose_language("xx", "de", "zh") == "zh"

    client = browser(school, "stud_a", **{"Accept-Language": "zh-CN,zh;q=0.9"})
    page = client.get("/courses")
    assert '<html lang="zh-Hans">' in page.text
    assert "我的课程" in main_text(page) and "小课程" in main_text(page)
    assert page.headers["content-language"] == "zh-Hans"

    r = client.post("/language", data={"lang": "en", "next": "/courses/tiny"})
    assert r.status_code == 303 and r.headers["location"] == "/courses/tiny"
    assert f"{LANGUAGE_COOKIE}=en" in r.headers["set-cookie"]
    page = client.get("/courses/tiny")
    assert '<html lang="en">' in page.text
    assert "Tiny course: course map" in main_text(page)
    # the switch offers the other language, named in itself
    assert 'name="lang" value="zh" lang="zh"' in page.text

    # an unknown language changes nothing; the way back stays on this site
    r = client.post("/language", data={"lang": "fr", "next": "https://evil.example/"})
    assert r.headers["location"] == "/" and "set-cookie" not in r.headers


# --- error pages --------------------------------------------------------------------------------


def test_error_pages_are_pages_for_people_and_json_for_programs(school: School) -> None:
    client = browser(school, "stud_a")
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    words = main_text(page)
    assert "Not found" in words and "Go to my courses" in words
    assert "My courses" in page.text  # the navigation: the page is in the site's layout

    program = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert program.status_code == 404 and program.json()["error"]["code"] == "not_found"
    api = client.get("/api/v1/courses/nope")  # the API answers JSON even to a browser
    assert api.status_code == 404 and api.json()["error"]["status"] == 404

    chinese = browser(school, **{"Accept-Language": "zh"}).get("/nope")
    assert "找不到页面" in main_text(chinese)


def test_an_unexpected_error_shows_no_stack_trace(school: School) -> None:
    app = school.app_client.app

    def boom() -> None:
        raise RuntimeError("secret internals /srv/learnloop/db.py line 42")

    def forbidden() -> None:
        raise PermissionDeniedError("only a teacher may do this; you are a student")

    app.add_api_route("/test-boom", boom, include_in_schema=False)
    app.add_api_route("/test-forbidden", forbidden, include_in_schema=False)
    page = browser(school, "stud_a").get("/test-boom")
    assert page.status_code == 500
    words = main_text(page)
    assert "Something went wrong on our side" in words and "Try again" in words
    assert "secret" not in page.text and "Traceback" not in page.text
    assert "RuntimeError" not in page.text

    page = browser(school, "stud_a").get("/test-forbidden")
    assert page.status_code == 403
    words = main_text(page)
    assert "Not allowed" in words and "only a teacher may do this" in words


def test_invalid_input_names_the_field(school: School) -> None:
    page = browser(school).post("/language", data={"lang": "x" * 50})
    assert page.status_code == 422
    words = main_text(page)
    assert "Something in what you sent needs fixing" in words and "body.lang" in words


def test_a_form_sent_after_the_login_ended_gets_the_401_page(school: School) -> None:
    page = browser(school).post("/courses/tiny/items/q1", data={"response": "1/2"})
    assert page.status_code == 401
    assert "Please log in" in main_text(page)


# --- what a student may open ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/courses/other",
        "/courses/other/practice",
        "/courses/other/items/q1",
        "/courses/other/progress",
        "/courses/other/materials/halves",
        "/courses/tiny/items/no-such-item",
        "/courses/tiny/materials/no-such-page",
    ],
)
def test_a_student_cannot_open_another_classes_course(student: TestClient, url: str) -> None:
    page = student.get(url)
    assert page.status_code == 404, url
    assert "Not found" in main_text(page)


def test_a_student_sees_only_their_own_courses(student: TestClient) -> None:
    page = student.get("/courses")
    assert 'href="/courses/tiny"' in page.text and "/courses/other" not in page.text
    assert "0 of 2 concepts mastered" in main_text(page)


def test_an_answer_to_another_course_is_refused_and_not_stored(
    school: School, student: TestClient
) -> None:
    with school.backend.transaction() as s:
        before = s.scalar(select(func.count()).select_from(AttemptRow))
    r = student.post("/courses/other/items/q1", data={"response": "1/2"})
    assert r.status_code == 404
    with school.backend.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AttemptRow)) == before


# --- the pages themselves ---------------------------------------------------------------------


def test_the_course_map_draws_every_concept_and_edge_with_a_table(clients: Clients) -> None:
    page = clients("stud_a").get("/courses/tiny")
    assert page.status_code == 200
    text = page.text
    # drawn twice (wide and narrow screens), each with its own arrow marker
    assert text.count('class="node unseen" data-concept="halves"') == 2
    assert text.count('marker-end="url(#arrow-wide)"') == 1  # quarters needs halves
    table = re.search(r'<table class="data" id="mastery-table">(.*?)</table>', text, re.S)
    assert table is not None
    rows = re.findall(r'<tr data-concept="([^"]+)">', table.group(1))
    assert rows == ["halves", "quarters"]
    assert "Ready to learn" in table.group(1) and "Learn what it needs first" in table.group(1)
    assert 'href="/courses/tiny/materials/halves"' in text


def test_practice_answers_with_grade_feedback_mastery_and_next(
    school: School, clients: Clients
) -> None:
    client = clients("stud_a2")
    r = client.get("/courses/tiny/practice")
    assert r.status_code == 303 and r.headers["location"] == "/courses/tiny/items/q1"
    page = client.get("/courses/tiny/items/q1")
    assert "What is half of 1?" in main_text(page)
    assert "<noscript>" in page.text  # the tutor says it needs JavaScript
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page.text)
    assert key is not None

    empty = client.post("/courses/tiny/items/q1", data={"response": "  "})
    assert empty.status_code == 422
    assert "Write an answer (or choose one) first" in main_text(empty)

    right = client.post(
        "/courses/tiny/items/q1", data={"response": "0.5", "idempotency_key": key.group(1)}
    )
    assert right.status_code == 200
    words = main_text(right)
    assert "Correct" in words and "Halves:" in words and "→" in words
    assert 'id="next-link" href="/courses/tiny/items/' in right.text

    again = client.post(
        "/courses/tiny/items/q1", data={"response": "0.5", "idempotency_key": key.group(1)}
    )
    assert "You had sent this answer already" in main_text(again)
    with school.backend.transaction() as s:
        stored = s.scalar(
            select(func.count())
            .select_from(AttemptRow)
            .where(AttemptRow.user_id == school.ids["stud_a2"])
        )
    assert stored == 1

    wrong = client.post("/courses/tiny/items/q2", data={"response": "b"})
    words = main_text(wrong)
    assert "Not correct" in words and "You answered: 0.4" in words

    # the progress page: the chart's figure and a table with a row per answer
    page = client.get("/courses/tiny/progress")
    assert page.status_code == 200
    assert 'id="progress-chart-data"' in page.text and "/vendor/plotly.min.js" in page.text
    rows = re.findall(r"<tr>\s*<td class=\"num\">(\d+)</td>", page.text)
    assert rows == ["1", "2"]


def test_the_replayed_history_ends_at_the_stored_mastery(school: School, clients: Clients) -> None:
    client = clients("stud_a")
    for item, answer in (("q1", "1/2"), ("q1", "2"), ("q2", "a"), ("q1", "0.5")):
        assert client.post(f"/courses/tiny/items/{item}", data={"response": answer}).is_success
    with school.backend.transaction() as s:
        from learnloop.services.users import get_user

        user = get_user(s, username="stud_a")
        course = check_course(s, user, "tiny")
        points = history.answer_history(s, user_id=user.id, course=course)
        stored = {
            m.concept_id: m.p_mastery
            for m in progress.course_mastery(s, user_id=user.id, course=course)
        }
    assert [p.verdict for p in points][-4:] == ["correct", "incorrect", "correct", "correct"]
    last = {}
    for p in points:
        last.update(p.concepts)
    assert last == pytest.approx({k: v for k, v in stored.items() if k in last})
    assert points[-1].mean_mastery == pytest.approx(sum(stored.values()) / len(stored))


def test_plotly_js_comes_from_the_installed_package(school: School) -> None:
    client = browser(school)
    r = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["content-encoding"] == "gzip"
    assert "immutable" in r.headers["cache-control"]
    assert b"plotly" in r.content[:2000].lower()
    static = Path(__file__).resolve().parents[2] / "learnloop" / "web" / "static"
    assert not list(static.rglob("plotly*")), "plotly.js must not be copied into the repository"
