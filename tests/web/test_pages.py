"""The pages without a browser: logging in through the form, the language a visitor gets, the
error pages (what went wrong and what to do, never a stack trace), what a student may open,
and the answer form. The browser tests are in ``tests/e2e``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from learnloop.errors import PermissionDeniedError
from learnloop.services import Backend, classes, courses, history, progress, users
from learnloop.services.access import check_course
from learnloop.settings import Settings
from learnloop.storage.tables import AttemptRow, Role
from learnloop.web import create_app
from learnloop.web.i18n import LANGUAGE_COOKIE, choose_language, from_accept_language
from tests.conftest import write_pack
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
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


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


def test_a_chinese_account_gets_chinese_at_sign_in(school: School) -> None:
    """A roster sets a student's language: an English browser on a school computer still
    shows them Chinese."""
    from learnloop.services import classes, users

    with school.backend.transaction() as s:
        users.create_user(s, username="stud_zh", password=PASSWORD, language="zh")
        classes.enrol(s, class_name="Class A", username="stud_zh")
    client = browser(school, "stud_zh", **{"Accept-Language": "en-GB,en;q=0.9"})
    page = client.get("/courses")
    assert '<html lang="zh-Hans">' in page.text


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
    # to the recommended item, saying it was recommended
    assert r.status_code == 303 and r.headers["location"] == "/courses/tiny/items/q1?via=next"
    recommended = client.get(r.headers["location"])
    assert "Why this question:" in main_text(recommended)
    assert "“Halves” needs nothing before it" in main_text(recommended)
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


# --- the recommender on the pages -----------------------------------------------------------

STEPS = {
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
    "items/all.yaml": """\
        - id: h1
          type: multiple_choice
          prompt: {en: "Which fraction is one half?", zh: "哪个分数是二分之一？"}
          concepts: [halves]
          answer:
            choices:
              - {id: a, text: "1/2", correct: true}
              - id: b
                text: "2/1"
                feedback:
                  en: "2/1 is upside down: the denominator counts the equal parts."
                  zh: "2/1 上下颠倒了：分母表示平均分成的份数。"
        - {id: h2, type: numeric, concepts: [halves], answer: {value: "2"},
           prompt: {en: "Half of 4?", zh: "4 的一半？"}}
        - {id: h3, type: numeric, concepts: [halves], answer: {value: "5"},
           prompt: {en: "Half of 10?", zh: "10 的一半？"}}
        - {id: q1, type: numeric, concepts: [quarters], answer: {value: "1"},
           prompt: {en: "A quarter of 4?", zh: "4 的四分之一？"}}
        - {id: q2, type: numeric, concepts: [quarters], answer: {value: "2"},
           prompt: {en: "A quarter of 8?", zh: "8 的四分之一？"}}
        - {id: q3, type: numeric, concepts: [quarters], answer: {value: "3"},
           prompt: {en: "A quarter of 12?", zh: "12 的四分之一？"}}
        - {id: e1, type: numeric, concepts: [eighths], answer: {value: "1"},
           prompt: {en: "An eighth of 8?", zh: "8 的八分之一？"}}
        - {id: e2, type: numeric, concepts: [eighths], answer: {value: "2"},
           prompt: {en: "An eighth of 16?", zh: "16 的八分之一？"}}
        """,
    "materials/halves.en.md": """\
        ---
        id: halves
        title: Halves
        language: en
        concepts: [halves]
        ---
        # Halves
        A half is one of two equal parts of a whole.

        ## Upside down fractions
        Writing 2/1 for a half turns the fraction upside down. The denominator, below the
        bar, counts the equal parts of the whole, so one half is 1/2.

        ## Halves of numbers
        Half of a number is the number divided by 2: half of 10 is 5.
        """,
    "materials/halves.zh.md": """\
        ---
        id: halves
        title: 二分之一
        language: zh
        concepts: [halves]
        ---
        # 二分之一
        把一个整体平均分成两份，每份是二分之一。

        ## 上下颠倒的分数
        把二分之一写成 2/1 就上下颠倒了。
        分母写在分数线下面，表示平均分成的份数，所以二分之一是 1/2。

        ## 一个数的一半
        一个数的一半就是把它除以 2：10 的一半是 5。
        """,
}
RIGHT = {"h1": "a", "h2": "2", "h3": "5", "q1": "1", "q2": "2", "q3": "3", "e1": "1", "e2": "2"}
T0 = datetime(2026, 9, 1, 8, tzinfo=UTC)


@pytest.fixture
def steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[School]:
    """A course of three concepts in a row, with a reading page of three sections; a class
    K with the teacher t1 and the students s1, s2, s3."""
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", data_dir=tmp_path / "d")
    backend = Backend.open(settings, check_schema=False)
    backend.upgrade()
    ids: dict[str, int] = {}
    with backend.transaction() as s:
        courses.import_path(s, path=write_pack(tmp_path / "steps", STEPS))
        for name, role in [("t1", Role.TEACHER), ("s1", Role.STUDENT), ("s2", Role.STUDENT),
                           ("s3", Role.STUDENT)]:  # fmt: skip
            ids[name] = users.create_user(s, username=name, password=PASSWORD, role=role).id
        ids["K"] = classes.ensure_class(s, name="K").id
        classes.enrol(s, class_name="K", username="t1", role=Role.TEACHER)
        for name in ("s1", "s2", "s3"):
            classes.enrol(s, class_name="K", username=name)
        classes.add_course(s, class_name="K", course_id="steps")
    yield School(backend=backend, app_client=TestClient(create_app(backend)), ids=ids)
    backend.close()


def answer_api(client: TestClient, item: str, right: bool = True) -> dict[str, Any]:
    """An answer through the JSON API (the session cookie logs it in); its next activity."""
    wrong = "b" if item == "h1" else "99"
    body = {"course_id": "steps", "item_id": item, "response": RIGHT[item] if right else wrong}
    r = client.post("/api/v1/attempts", json=body, headers={"Accept": "application/json"})
    assert r.status_code == 201, r.text
    found: dict[str, Any] = r.json()["next_item"]
    return found


def cells(page: httpx.Response, table: str) -> dict[str, str]:
    """The words of each row's mastery cell in the table ``table``, by concept."""
    found = re.search(rf'<table class="data" id="{table}"[^>]*>(.*?)</table>', page.text, re.S)
    assert found is not None, table
    rows = re.findall(r'<tr data-concept="([^"]+)">(.*?)</tr>', found.group(1), re.S)
    out = {}
    for key, row in rows:
        cell = re.search(r'<td class="[^"]*mastery[^"]*">(.*?)</td>', row, re.S)
        assert cell is not None, row
        out[key] = " ".join(re.sub(r"<[^>]+>", " ", cell.group(1)).split())
    return out


ESTIMATE = re.compile(r"^\d{1,3}% \(\d{1,3}–\d{1,3}\)$")


def test_a_new_student_sees_not_started_then_an_estimate_with_its_range(steps: School) -> None:
    client = browser(steps, "s1")
    page = client.get("/courses/steps")
    assert page.status_code == 200
    assert cells(page, "mastery-table") == dict.fromkeys(
        ("halves", "quarters", "eighths"), "not started"
    )
    # the map: no number in a box before its first answer, and a neutral colour
    values = re.findall(r'<text [^>]*class="value[^"]*">([^<]*)</text>', page.text)
    assert values and set(values) == {"not started"}
    assert "hsl(" not in re.search(r'data-concept="halves".*?</g>', page.text, re.S).group(0)  # type: ignore[union-attr]
    assert "How to read a figure such as 62% (45–77)" in main_text(page)

    item = client.get("/courses/steps/items/h2")
    assert "Halves not started" in main_text(item)
    answered = client.post("/courses/steps/items/h2", data={"response": "2"})
    words = main_text(answered)
    assert re.search(r"Halves: not started → \d+% \(\d+–\d+\)", words), words

    page = client.get("/courses/steps")
    shown = cells(page, "mastery-table")
    assert ESTIMATE.match(shown["halves"]), shown
    assert shown["quarters"] == shown["eighths"] == "not started"
    low, high = map(int, re.findall(r"\((\d+)–(\d+)\)", shown["halves"])[0])
    assert 0 <= low < high <= 100
    progress_page = client.get("/courses/steps/progress")
    assert cells(progress_page, "now-table")["halves"] == shown["halves"]
    assert cells(progress_page, "now-table")["quarters"] == "not started"
    # the average counts the concepts started, not the model's guess at the others
    row = re.search(
        r'<td class="concepts-after">Halves: (\d+%)</td>\s*<td class="num">(\d+%)</td>',
        progress_page.text,
    )
    assert row is not None and row.group(1) == row.group(2) == shown["halves"].split()[0]
    figure = re.search(r'id="progress-chart-data">(.*?)</script>', progress_page.text)
    assert figure is not None
    lines = {t["name"]: t["y"] for t in json.loads(figure.group(1))["data"]}
    assert lines["Average of the concepts started"][0] is None  # before the first answer
    assert lines["Halves"][0] is None

    client.cookies.set(LANGUAGE_COOKIE, "zh")
    chinese = client.get("/courses/steps")
    assert cells(chinese, "mastery-table")["quarters"] == "尚未开始"
    assert "怎样看“62%（45–77）”这样的数字" in main_text(chinese)


def test_the_course_page_says_what_next_and_why_and_the_practice_page_follows_it(
    steps: School,
) -> None:
    client = browser(steps, "s1")
    page = client.get("/courses/steps")
    words = main_text(page)
    assert "What to do next" in words and "“Halves” needs nothing before it" in words
    assert "Nothing is due for review." in words
    link = re.search(r'id="next-link" href="([^"]+)"', page.text)
    assert link is not None and link.group(1).endswith("?via=next")
    r = client.get("/courses/steps/practice")
    assert r.status_code == 303 and r.headers["location"] == link.group(1)
    item = main_text(client.get(link.group(1)))
    assert "Why this question: “Halves” needs nothing before it" in item
    assert "Review" not in item
    # the same item opened by hand is not presented as recommended
    assert "Why this question" not in main_text(client.get("/courses/steps/items/h3"))


def test_after_a_wrong_answer_the_item_page_lists_the_sections_that_explain_it(
    steps: School,
) -> None:
    client = browser(steps, "s2")
    wrong = client.post("/courses/steps/items/h1", data={"response": "b"})
    assert wrong.status_code == 200
    words = main_text(wrong)
    assert "Not correct" in words and "2/1 is upside down" in words
    assert "Read about it" in words
    listed = re.search(r'<ul class="sections" id="read-about-list">(.*?)</ul>', wrong.text, re.S)
    assert listed is not None
    assert 'href="/courses/steps/materials/halves#upside-down-fractions"' in listed.group(1)
    assert "Halves › Upside down fractions" in main_text(wrong)
    assert "Halves › Halves" not in main_text(wrong)
    # the next question: another of the same concept, and why
    assert "Your last answer on “Halves” was not right" in words
    right = client.post("/courses/steps/items/h2", data={"response": "2"})
    assert "Read about it" not in main_text(right)

    # two wrong in a row: read the page first, then another question
    client.post("/courses/steps/items/h1", data={"response": "b"})
    second = client.post("/courses/steps/items/h1", data={"response": "b"})
    words = main_text(second)
    assert "read the course page that explains it" in words
    assert "Read about it" in words
    assert "Read the pages above before the next question." in words or (
        'id="read-first"' in second.text
    )
    nxt = re.search(r'id="next-link" href="([^"]+)"', second.text)
    assert nxt is not None and nxt.group(1).endswith("?via=next")
    before = main_text(client.get(nxt.group(1)))
    assert "Why this question:" in before and "Read this first" in before
    assert 'href="/courses/steps/materials/halves#' in client.get(nxt.group(1)).text

    client.cookies.set(LANGUAGE_COOKIE, "zh")
    chinese = client.post("/courses/steps/items/h1", data={"response": "b"})
    words = main_text(chinese)
    assert "读一读相关内容" in words and "二分之一 › 上下颠倒的分数" in words
    assert 'href="/courses/steps/materials/halves#上下颠倒的分数"' in chinese.text


def test_a_concept_due_for_review_comes_back_on_the_course_page(steps: School) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        client = browser(steps, "s3")
        nxt = answer_api(client, "h1")
        for _ in range(40):
            if nxt["kind"] == "done":
                break
            clock.shift(timedelta(minutes=2))
            nxt = answer_api(client, nxt["item_id"])
        assert nxt["kind"] == "done" and nxt["next_review_at"]
        page = client.get("/courses/steps")
        assert "Nothing is due for review." in main_text(page)
        assert "You have mastered every concept" in main_text(page)

        clock.move_to(datetime.fromisoformat(nxt["next_review_at"]) + timedelta(hours=1))
        client = browser(steps, "s3")  # weeks later: the login has ended
        page = client.get("/courses/steps")
        due = re.search(r'<ul class="due-reviews" id="due-reviews">(.*?)</ul>', page.text, re.S)
        assert due is not None, main_text(page)
        keys = re.findall(r'<li data-concept="([^"]+)">', due.group(1))
        assert keys and set(keys) <= {"halves", "quarters", "eighths"}
        assert f'href="/courses/steps/practice?concept={keys[0]}"' in due.group(1)
        words = main_text(page)
        assert "Due for review" in words and "Time to review" in words
        assert "Start the review" in words
        r = client.get("/courses/steps/practice")
        item = client.get(r.headers["location"])
        assert 'id="review-badge"' in item.text
        assert "Why this question: Time to review" in main_text(item)

        client.cookies.set(LANGUAGE_COOKIE, "zh")
        chinese = main_text(client.get("/courses/steps"))
        assert "需要复习的知识点" in chinese and "开始复习" in chinese


def test_the_goal_form_sets_the_goal_and_the_path_shows(steps: School) -> None:
    client = browser(steps, "s1")
    page = client.get("/courses/steps")
    assert "You have no goal yet." in main_text(page)
    assert 'id="path-table"' not in page.text
    r = client.post("/courses/steps/goal", data={"concept_id": "eighths"})
    assert r.status_code == 303 and r.headers["location"] == "/courses/steps?goal=saved#path"
    page = client.get(r.headers["location"])
    words = main_text(page)
    assert "Your goal is saved." in words and "Your goal: Eighths." in words
    table = re.search(r'<table class="data" id="path-table">(.*?)</table>', page.text, re.S)
    assert table is not None
    steps_ = re.findall(r'<tr data-concept="([^"]+)">', table.group(1))
    assert steps_ == ["halves", "quarters", "eighths"]
    assert cells(page, "path-table") == dict.fromkeys(steps_, "not started")
    row = " ".join(re.sub(r"<[^>]+>", " ", table.group(1)).split())
    assert "yes, now" in row and "after the steps before it" in row
    needed = [int(n) for n in re.findall(r"≈ (\d+)", row)]
    assert len(needed) == 3 and all(n >= 1 for n in needed)
    assert f"In all about {sum(needed)} answers to reach Eighths." in words
    assert '<option value="eighths" selected>' in page.text
    # the practice follows the goal's path
    assert "on your way to the goal “Eighths”" in words

    client.cookies.set(LANGUAGE_COOKIE, "zh")
    chinese = main_text(client.get("/courses/steps"))
    assert "你的目标：八分之一。" in chinese and f"总共大约还需作答 {sum(needed)} 次" in chinese
    client.cookies.set(LANGUAGE_COOKIE, "en")

    cleared = client.post("/courses/steps/goal", data={"concept_id": "eighths", "clear": "1"})
    assert cleared.headers["location"] == "/courses/steps?goal=cleared#path"
    words = main_text(client.get(cleared.headers["location"]))
    assert "Your own goal is cleared." in words and "You have no goal yet." in words
    assert client.post("/courses/steps/goal", data={"concept_id": "nope"}).status_code == 404


def test_a_teacher_sets_a_class_goal_that_the_students_course_page_shows(steps: School) -> None:
    teacher = browser(steps, "t1")
    klass = steps.ids["K"]
    page = teacher.get(f"/teach/classes/{klass}")
    assert page.status_code == 200
    row = re.search(r'<tr data-course="steps">(.*?)</tr>', page.text, re.S)
    assert row is not None and "no goal" in row.group(1)
    r = teacher.post(
        f"/teach/classes/{klass}/goals", data={"course_id": "steps", "concept_id": "quarters"}
    )
    assert (
        r.status_code == 303
        and r.headers["location"] == f"/teach/classes/{klass}?goal=steps#courses"
    )
    page = teacher.get(r.headers["location"])
    assert "The class's goal in Steps is now Quarters." in main_text(page)
    row = re.search(r'<tr data-course="steps">(.*?)</tr>', page.text, re.S)
    assert row is not None and "<strong>Quarters</strong>" in row.group(1)

    student = browser(steps, "s2")
    words = main_text(student.get("/courses/steps"))
    assert "Your teacher set the goal Quarters for your class." in words
    assert "Clear my goal" not in words  # the class's goal is the teacher's to clear
    student.cookies.set(LANGUAGE_COOKIE, "zh")
    assert "老师为你的班级设定了目标：四分之一。" in main_text(student.get("/courses/steps"))
    # the student's own goal wins
    student.post("/courses/steps/goal", data={"concept_id": "eighths"})
    assert "你的目标：八分之一。" in main_text(student.get("/courses/steps"))

    # a student may not set the class's goal; the teacher clears it
    refused = student.post(
        f"/teach/classes/{klass}/goals", data={"course_id": "steps", "concept_id": "halves"}
    )
    assert refused.status_code in (403, 404)
    unknown = teacher.post(
        f"/teach/classes/{klass}/goals", data={"course_id": "steps", "concept_id": "nope"}
    )
    assert unknown.status_code == 404 and "no concept 'nope'" in main_text(unknown)
    teacher.post(f"/teach/classes/{klass}/goals", data={"course_id": "steps", "clear": "1"})
    page = teacher.get(f"/teach/classes/{klass}?goal=steps")
    assert "The class has no goal in Steps now." in main_text(page)
    s1 = browser(steps, "s1")
    assert "You have no goal yet." in main_text(s1.get("/courses/steps"))
