"""A teacher in a real browser: the start page, the class and its roster (a CSV with a bad
line, then a good one), the review queue (overriding a queued free-text grade), the mastery
map that the override moved, a student's history, item statistics, the tutor questions, a
course pack with problems, the pages in Chinese and on a phone; and a student kept out."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from learnloop.services import learning
from learnloop.services.tutor import Tutor, TutorRequest
from learnloop.tutor.fake import FakeChat
from tests.e2e.conftest import PASSWORDS, TEACHER, LiveServer, Shooter, log_in

pytestmark = pytest.mark.e2e

NewPage = Callable[..., Page]
FREE_TEXT = ("photosynthesis", "leaf-structure-ft-1")
ADA_ANSWER = "Because the top of the leaf gets the most sunlight for the chloroplasts."


def prepare(server: LiveServer) -> None:
    """ada's work: a slip made twice, a free-text answer waiting for the teacher, and a
    question to the tutor about an exercise."""
    ada = server.students["ada"]
    for response in ("5/12", " 5/12 ", "7/12"):
        learning.submit_attempt(
            server.backend,
            user=ada,
            course_key="fractions",
            item_key="meaning-4",
            response=response,
        )
    learning.submit_attempt(
        server.backend,
        user=ada,
        course_key=FREE_TEXT[0],
        item_key=FREE_TEXT[1],
        response=ADA_ANSWER,
    )
    tutor = Tutor(server.backend, FakeChat(default="Count the equal parts [1]."))
    tutor.ask(
        ada,
        TutorRequest(
            course_key="fractions", message="Why is it 7 and not 5?", item_key="meaning-4"
        ),
    )


def fits(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def test_a_teacher_overrides_a_queued_grade_and_sees_the_class(
    live_server: LiveServer, new_page: NewPage, shot: Shooter
) -> None:
    prepare(live_server)
    url = live_server.url
    page = new_page(locale="en-US")

    # the start page: classes, and the queue's count
    log_in(page, url, TEACHER[0])
    expect(page).to_have_url(f"{url}/teach")
    expect(page.get_by_role("heading", name="Teaching", exact=True)).to_be_visible()
    expect(
        page.get_by_role("link", name=re.compile(r"Review queue: [1-9]\d* waiting"))
    ).to_be_visible()
    expect(page.locator("header nav a[aria-current=page]")).to_have_text("Teaching")
    shot(page, "home")

    # the class: its courses and roster; a CSV with problems changes nothing
    page.get_by_role("link", name="c", exact=True).click()
    expect(page.get_by_role("heading", name="c", exact=True)).to_be_visible()
    expect(page.locator("#roster-table tbody tr")).to_have_count(3)
    page.get_by_label("… or paste the lines here").fill(
        "username,display_name,password\nnew.kid,New Kid,pw-new-kid-1\nsam,,\n,Nobody,pw-nobody-1\n"
        "shorty,Shorty,short\n"
    )
    page.get_by_role("button", name="Import roster").click()
    problems = page.locator("#roster-problems")
    expect(problems).to_contain_text("2 problem(s), so nothing was changed")
    expect(problems.locator("li")).to_have_text(
        [re.compile(r"^line 4: the username is empty"), re.compile(r"^line 5: new student")]
    )
    expect(page.locator("#roster-table tbody tr")).to_have_count(3)
    expect(page.get_by_label("… or paste the lines here")).to_have_value(re.compile("new.kid"))
    shot(page, "roster-problems")
    page.get_by_label("… or paste the lines here").fill(
        "username,display_name,password\nnew.kid,New Kid,pw-new-kid-1\n"
    )
    page.get_by_role("button", name="Import roster").click()
    expect(page.locator("#roster-report")).to_contain_text("New accounts: 1: new.kid")
    expect(page.locator("#roster-table tbody tr")).to_have_count(4)
    shot(page, "class")

    # the review queue: ada's free-text answer waits with no machine grade; override it
    page.goto(f"{url}/teach/reviews")
    card = page.locator("article.review", has_text=ADA_ANSWER)
    expect(card).to_have_count(1)
    expect(card.get_by_role("button", name=re.compile("^Confirm"))).to_have_count(0)
    expect(card).to_contain_text("There is no machine grade to confirm")
    shot(page, "review-queue")
    card.get_by_label("Score from 0 to 1 (optional)").fill("1.5")
    card.get_by_label("Correct", exact=True).check()
    card.get_by_role("button", name="Save my grade").click()
    card = page.locator("article.review", has_text=ADA_ANSWER)
    expect(card.get_by_role("alert")).to_contain_text("is not a number from 0 to 1")
    card.get_by_label("Score from 0 to 1 (optional)").fill("")
    card.get_by_label("Feedback the student reads (optional)").fill(
        "Right: the light comes from above."
    )
    card.get_by_role("button", name="Save my grade").click()
    expect(page.locator("#decided")).to_have_text(
        f"Saved: ada's answer to {FREE_TEXT[1]} is now graded Correct (100%)."
    )
    expect(page.locator("article.review", has_text=ADA_ANSWER)).to_have_count(0)
    shot(page, "review-saved")
    page.get_by_label("Show").select_option("decided")
    page.get_by_role("button", name="Show").click()
    decided = page.locator("article.review", has_text=ADA_ANSWER)
    expect(decided).to_contain_text("overridden by teacher")

    # the mastery map of photosynthesis: the override moved ada's two concepts
    page.goto(f"{url}/teach")
    page.locator(".class-card li", has_text="Photosynthesis").get_by_role(
        "link", name="Mastery map"
    ).click()
    expect(page.get_by_role("heading", name=re.compile("mastery map"))).to_be_visible()
    row = page.locator("#mastery-table tr[data-student=ada]")
    for concept in ("leaf-structure", "chloroplasts"):
        cell = row.locator(f"td[data-concept='{concept}']")
        expect(cell).not_to_have_class(re.compile("unseen"))
        expect(cell).to_have_text(re.compile(r"^\d+% \(\d+–\d+\)\s*$"))  # and its range
    expect(page.locator("#mastery-chart .main-svg").first).to_be_visible()  # plotly drew it
    expect(page.locator("#mastery-chart .heatmaplayer")).to_have_count(1)
    shot(page, "mastery-photosynthesis")

    page.goto(f"{url}/teach/classes/{class_id(page, url)}/courses/fractions/mastery")
    expect(page.locator("#mastery-table tbody tr")).to_have_count(4)
    expect(page.locator("#mastery-chart .main-svg").first).to_be_visible()
    shot(page, "mastery-fractions")

    # ada's history: the teacher's grade stands, the machine had none
    page.locator("#mastery-table tr[data-student=ada] th a").click()
    expect(page.get_by_role("heading", name=re.compile("ada: answers and mastery"))).to_be_visible()
    answers = page.locator("#student-answers tbody tr")
    expect(answers).to_have_count(3)
    expect(answers.first).to_contain_text("Not correct")
    expect(answers.last).to_contain_text("Correct")
    expect(page.locator("#student-chart .main-svg").first).to_be_visible()
    shot(page, "student-fractions")
    page.get_by_role("link", name="Photosynthesis and plant biology").click()
    expect(page.locator("#student-answers tbody tr")).to_contain_text(
        ["graded by teacher; the machine said: no machine grade"]
    )
    shot(page, "student-photosynthesis")

    # item statistics: the slip ada made twice is the common wrong answer
    page.goto(f"{url}/teach/courses/fractions/items")
    item = page.locator("#items-table tr[data-item='meaning-4']")
    expect(item.locator(".wrong li").first).to_have_text(re.compile(r"^5/12 × 2"))
    expect(page.locator("#items-chart .main-svg").first).to_be_visible()
    shot(page, "items")

    # what students ask the tutor, under the concept of the exercise
    page.goto(f"{url}/teach/courses/fractions/questions")
    expect(page.locator(".questions blockquote", has_text="Why is it 7 and not 5?")).to_be_visible()
    expect(page.locator("#questions-chart .main-svg").first).to_be_visible()
    shot(page, "questions")

    # a course pack with a problem: located to file and line, nothing imported
    page.goto(f"{url}/teach/import")
    page.get_by_label("The pack folder as a .zip file").set_input_files(
        {"name": "broken.zip", "mimeType": "application/zip", "buffer": broken_pack()}
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#import-problems")).to_contain_text("so nothing was imported")
    first = page.locator("#problems-table tbody tr").first
    expect(first.locator("td").nth(0)).to_have_text("items/all.yaml")
    expect(first.locator("td").nth(1)).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("#courses-table tr[data-course=broken]")).to_have_count(0)
    shot(page, "import-problems")

    # 中文
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="导入课程")).to_be_visible()
    page.goto(f"{url}/teach/classes/{class_id(page, url)}/courses/fractions/mastery")
    expect(page.locator("#mastery-table caption")).to_have_text("每名学生在每个知识点上的掌握度")
    shot(page, "mastery-zh")
    page.goto(f"{url}/teach/reviews?status=decided")
    expect(page.get_by_role("heading", name="待批改队列")).to_be_visible()
    shot(page, "reviews-zh")


def class_id(page: Page, url: str) -> str:
    found = page.evaluate(
        "async (u) => (await (await fetch(u + '/api/v1/classes')).json())"
        ".find(c => c.name === 'c').id",
        url,
    )
    return str(found)


def broken_pack() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("broken/course.yaml", "id: broken\ntitle: {en: Broken}\nlanguages: [en]\n")
        archive.writestr("broken/concepts.yaml", "- id: a\n  name: {en: A}\n")
        archive.writestr(
            "broken/items/all.yaml",
            "- id: q1\n  type: numeric\n  prompt: {en: One?}\n  concepts: [nowhere]\n"
            "  answer: {value: '1'}\n",
        )
    return buf.getvalue()


def test_the_teacher_pages_on_a_phone(
    live_server: LiveServer, new_page: NewPage, shot: Shooter
) -> None:
    url = live_server.url
    page = new_page(locale="en-US", width=375, height=812)
    log_in(page, url, TEACHER[0])
    expect(page).to_have_url(f"{url}/teach")
    fits(page)
    shot(page, "phone-home")
    cid = class_id(page, url)
    for path, name in [
        (f"/teach/classes/{cid}/courses/fractions/mastery", "phone-mastery"),
        ("/teach/reviews?status=all", "phone-reviews"),
        ("/teach/courses/fractions/items", "phone-items"),
    ]:
        page.goto(url + path)
        fits(page)
        shot(page, name)


def test_a_student_is_kept_out(live_server: LiveServer, new_page: NewPage, shot: Shooter) -> None:
    url = live_server.url
    page = new_page()
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORDS["sam"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Teaching")).to_have_count(0)
    answer = page.goto(f"{url}/teach/reviews")
    assert answer is not None and answer.status == 403
    shot(page, "student-403")
