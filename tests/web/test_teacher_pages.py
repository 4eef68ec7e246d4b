"""The teacher pages as a browser gets them (HTML, forms, the session cookie), without a
browser: who may open them, the roster CSV's line-numbered problems, a grade overridden with
the form, and a course pack's problems with file and line."""

from __future__ import annotations

import io
import json
import re
import textwrap
import zipfile
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import TINY_PACK
from tests.web.conftest import PASSWORD, School

HTML = {"Accept": "text/html"}


def browser(school: School, username: str) -> TestClient:
    client = TestClient(school.app_client.app, headers=HTML)
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    return client


def text_of(html: str) -> str:
    """The page's words without tags or repeated spaces, as a reader sees them."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def pages(school: School) -> list[str]:
    a, stud_a = school.ids["Class A"], school.ids["stud_a"]
    return [
        "/teach",
        f"/teach/classes/{a}",
        f"/teach/classes/{a}/courses/tiny/mastery",
        f"/teach/students/{stud_a}",
        "/teach/courses/tiny/items",
        "/teach/courses/tiny/questions",
        "/teach/reviews",
        "/teach/import",
    ]


def test_each_page_opens_for_its_teacher_and_an_admin_not_for_students(school: School) -> None:
    answer = browser(school, "stud_a").post(
        "/api/v1/attempts", json={"course_id": "tiny", "item_id": "q1", "response": "0.4"}
    )
    assert answer.status_code == 201
    teacher, admin = browser(school, "teach_a"), browser(school, "admin")
    student, other = browser(school, "stud_a"), browser(school, "teach_b")
    for path in pages(school):
        for client in (teacher, admin):
            r = client.get(path)
            assert r.status_code == 200, (path, r.text[:500])
            assert r.headers["content-type"].startswith("text/html")
            assert "/static/teach.css" in r.text
        refused = student.get(path)
        assert refused.status_code in (403, 404), path
        assert "<h1>" in refused.text and "Traceback" not in refused.text
    # another class's teacher: that class, its student and its course are hidden or refused
    assert other.get(pages(school)[1]).status_code == 404
    assert other.get(pages(school)[2]).status_code == 404
    assert other.get(pages(school)[3]).status_code == 404
    assert other.get("/teach/courses/tiny/items").status_code == 403
    assert other.get("/teach/courses/other/items").status_code == 200
    # logged out: to the login page, and back afterwards
    r = TestClient(school.app_client.app, headers=HTML).get("/teach", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/teach"
    assert teacher.get("/", follow_redirects=False).headers["location"] == "/teach"


def test_the_map_and_item_statistics_show_the_numbers(school: School) -> None:
    student = browser(school, "stud_a")
    for response in ("0.4", " 0.4", "1/2"):
        student.post(
            "/api/v1/attempts", json={"course_id": "tiny", "item_id": "q1", "response": response}
        )
    teacher = browser(school, "teach_a")
    page = teacher.get(f"/teach/classes/{school.ids['Class A']}/courses/tiny/mastery").text
    assert 'id="mastery-chart"' in page and '"type":"heatmap"' in page.replace(" ", "")
    row = re.search(r'<tr data-student="stud_a2">(.*?)</tr>', page, re.S)
    assert row is not None and "not started" in row.group(1)  # stud_a2 answered nothing
    assert not re.search(r"\d+%", text_of(row.group(1)))  # no number for it
    # a practised concept: the estimate and the range it probably lies in; the same
    # range in the chart's hover text
    row = re.search(r'<tr data-student="stud_a">(.*?)</tr>', page, re.S)
    assert row is not None
    cell = re.search(
        r'data-concept="halves"[^>]*>(\d+)% <span class="range">\((\d+)–(\d+)\)', row.group(1)
    )
    assert cell is not None, row.group(1)
    p, low, high = map(int, cell.groups())
    assert low <= p <= high
    chart = re.search(
        r'<script type="application/json" id="mastery-chart-data">(.*?)</script>', page
    )
    assert chart is not None
    hover = json.loads(chart.group(1))["data"][0]["customdata"]
    assert f"{p}% ({low}–{high})" in hover[0] and "not started" in hover[1]
    assert "62% (45–77) reads" in text_of(page)
    # the mean counts only the students who started: stud_a alone here
    mean = re.search(r"<tfoot>\s*<tr>\s*<th[^>]*>[^<]*</th>\s*<td class=\"cell\">(\d+)%", page)
    assert mean is not None and int(mean.group(1)) == p
    items = text_of(teacher.get("/teach/courses/tiny/items").text)
    assert "0.4 × 2" in items
    assert "2 question(s) have no answers yet" in items
    every = text_of(teacher.get("/teach/courses/tiny/items?show=all").text)
    assert "q3" in every


def test_a_roster_with_problems_lists_them_by_line_and_changes_nothing(school: School) -> None:
    teacher = browser(school, "teach_a")
    url = f"/teach/classes/{school.ids['Class A']}/roster"
    bad = "username,password\nfresh.one,password-1\n,password-2\nshorty,short\n"
    r = teacher.post(url, data={"csv_text": bad})
    assert r.status_code == 422
    shown = text_of(r.text)
    assert "The roster has 2 problem(s), so nothing was changed" in shown
    assert "line 3: the username is empty" in shown
    assert "line 4: new student 'shorty' needs a password" in shown
    assert "fresh.one" in r.text  # the text stays in the box, to be fixed
    assert 'data-username="fresh.one"' not in r.text
    good = teacher.post(
        url,
        files={"csv_file": ("roster.csv", "\ufeffusername,password\nfresh.one,password-1\n")},
    )
    assert good.status_code == 200
    assert "New accounts: 1: fresh.one" in text_of(good.text)
    assert 'data-username="fresh.one"' in good.text
    empty = teacher.post(url, data={"csv_text": " "})
    assert empty.status_code == 422
    assert "choose a CSV file or paste the roster" in empty.text
    assert browser(school, "teach_b").post(url, data={"csv_text": bad}).status_code == 404


def test_a_teacher_overrides_a_queued_grade_with_the_form(school: School) -> None:
    student = browser(school, "stud_a")
    r = student.post(
        "/api/v1/attempts",
        json={"course_id": "tiny", "item_id": "q3", "response": "both parts doubled"},
    )
    assert r.json()["grade"]["provisional"]
    teacher = browser(school, "teach_a")
    queue = teacher.get("/teach/reviews").text
    review_id = int(re.search(r'id="review-(\d+)"', queue).group(1))  # type: ignore[union-attr]
    assert "There is no machine grade to confirm" in queue
    refused = teacher.post(f"/teach/reviews/{review_id}/confirm", data={})
    assert refused.status_code == 422
    assert "override it with a verdict" in text_of(refused.text)
    bad = teacher.post(
        f"/teach/reviews/{review_id}/override", data={"verdict": "correct", "score": "2"}
    )
    assert bad.status_code == 422 and "is not a number from 0 to 1" in bad.text
    assert 'value="2"' in bad.text  # what the teacher typed stays
    r = teacher.post(
        f"/teach/reviews/{review_id}/override",
        data={"verdict": "partially_correct", "feedback": "Say why the value stays."},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert (
        r.headers["location"]
        == f"/teach/reviews?status=pending&decided={review_id}#review-{review_id}"
    )
    saved = text_of(teacher.get(r.headers["location"]).text)
    assert "Saved: stud_a's answer to q3 is now graded Partly correct (50%)." in saved
    assert "Nothing is waiting for you" in saved
    again = teacher.post(f"/teach/reviews/{review_id}/override", data={"verdict": "correct"})
    assert again.status_code == 409 and "already decided" in again.text
    mine = student.get("/api/v1/attempts", params={"course_id": "tiny"}).json()
    assert mine[-1]["verdict"] == "partially_correct"
    assert mine[-1]["feedback"].startswith("Say why the value stays.")
    stats = text_of(teacher.get("/teach/courses/tiny/items").text)
    assert "both parts doubled × 1" in stats  # partly correct counts as not correct
    decided = text_of(teacher.get("/teach/reviews?status=decided").text)
    assert "overridden by teach_a" in decided
    other = browser(school, "teach_b")
    assert other.get("/teach/reviews?status=all").text.count('class="card review"') == 0


def pack_zip(course_yaml: str, items_yaml: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, content in TINY_PACK.items():
            text = textwrap.dedent(content)
            if name == "course.yaml":
                text = course_yaml
            if name == "items/all.yaml" and items_yaml is not None:
                text = items_yaml
            archive.writestr(f"pack/{name}", text)
    return buf.getvalue()


def test_course_import_shows_the_validators_problems(school: School) -> None:
    teacher = browser(school, "teach_a")
    items = textwrap.dedent(TINY_PACK["items/all.yaml"]).replace("[quarters]", "[thirds]")
    broken = pack_zip("id: fresh\ntitle: {en: Fresh}\nlanguages: [en]\n", items)
    r = teacher.post("/teach/import", files={"pack": ("fresh.zip", broken, "application/zip")})
    assert r.status_code == 422
    table = re.search(r'<table class="data" id="problems-table">(.*?)</table>', r.text, re.S)
    assert table is not None
    row = text_of(table.group(1))
    assert re.search(r"items/all\.yaml \d+ item 'q2': unknown concept 'thirds'", row), row
    assert "nothing was imported" in r.text
    assert 'data-course="fresh"' not in r.text

    good = pack_zip("id: fresh\ntitle: {en: Fresh}\nlanguages: [en, zh]\n")
    checked = teacher.post(
        "/teach/import",
        files={"pack": ("fresh.zip", good, "application/zip")},
        data={"check_only": "1"},
    )
    assert checked.status_code == 200
    assert "Course fresh is valid (nothing was imported)" in text_of(checked.text)
    assert 'data-course="fresh"' not in checked.text
    done = teacher.post("/teach/import", files={"pack": ("fresh.zip", good, "application/zip")})
    assert "Course fresh imported" in text_of(done.text)
    assert 'data-course="fresh"' in done.text

    nothing = teacher.post("/teach/import", data={})
    assert nothing.status_code == 422 and "choose the course pack" in nothing.text
    not_zip = teacher.post("/teach/import", files={"pack": ("a.zip", b"hello", "application/zip")})
    assert not_zip.status_code == 422 and "not a .zip file" in not_zip.text
    folder = teacher.post("/teach/import", data={"path": "/etc"})
    assert folder.status_code == 403 and "only an administrator" in folder.text
    assert browser(school, "stud_a").post("/teach/import", data={}).status_code == 403


@pytest.mark.parametrize("lang", ["zh"])
def test_the_pages_speak_chinese(school: School, lang: str) -> None:
    teacher = browser(school, "teach_a")
    teacher.cookies.set("learnloop_lang", lang)
    page = teacher.get("/teach").text
    assert "<h1>教学</h1>" in page and "我的班级" in page
    mastery = teacher.get(f"/teach/classes/{school.ids['Class A']}/courses/tiny/mastery").text
    assert "掌握度热力图" in mastery and "二分之一" in mastery  # the course's own Chinese
    assert "尚未开始" in mastery and "not started" not in mastery


def test_folder_import_for_an_admin(school: School, tmp_path: pytest.TempPathFactory) -> None:
    admin = browser(school, "admin")
    missing = admin.post("/teach/import", data={"path": "/no/such/folder"})
    assert missing.status_code == 422 and "there is no folder" in missing.text
    from tests.conftest import write_pack

    pack = dict(TINY_PACK)
    pack["course.yaml"] = TINY_PACK["course.yaml"].replace("id: tiny", "id: onserver")
    folder = write_pack(tmp_path / "onserver", pack)  # type: ignore[operator]
    done = admin.post("/teach/import", data={"path": str(folder)})
    assert done.status_code == 200 and "Course onserver imported" in text_of(done.text)


def test_every_text_the_teacher_pages_use_exists_in_both_languages() -> None:
    from learnloop.web import i18n
    from learnloop.web.pages import teach

    web = Path(i18n.__file__).resolve().parent
    called = re.compile(
        r"""\b(?:t|translate)\(\s*(?:lang,\s*)?["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']"""
    )
    used: set[str] = set()
    for path in [*web.glob("templates/teach/*.html"), *web.glob("pages/teach/*.py")]:
        used |= set(called.findall(path.read_text(encoding="utf-8")))
    # keys built from a value in the templates
    used |= {f"teach.reviews.status.{s}" for s in ("pending", "decided", "all")}
    used |= {f"teach.reviews.status.{s}" for s in ("confirmed", "overridden")}
    used |= {f"teach.reviews.empty.{s}" for s in ("pending", "decided", "all")}
    assert len(used) > 150
    for lang in ("en", "zh"):
        missing = sorted(k for k in used if k not in i18n.MESSAGES[lang])
        assert not missing, (lang, missing)
    unused = sorted(set(teach.texts.EN) - used - {"nav.teach"})
    assert not unused, unused
