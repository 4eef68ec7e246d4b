"""The recommender in a real browser: a student goes from the course page to the recommended
practice, answers wrong and is pointed at the course section that explains the mistake and
told why the next question comes, answers right, and sets a goal whose path the course page
shows; a teacher sets a goal for the class, which the student's page shows once their own is
cleared; the pages in English and Chinese, and the class's heat map.

Its own class ``r`` (the e2e teacher, ``rita`` and ``rob``), so the class goal it sets
steers no one in the other tests' class."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from learnloop.services import classes, learning, users
from learnloop.storage.tables import Role
from tests.e2e.conftest import TEACHER, LiveServer, Shooter

pytestmark = pytest.mark.e2e

NewPage = Callable[..., Page]
RITA = ("rita", "pw-rita-e2e-1")
ROB = ("rob", "pw-rob-e2e-1")
RIGHT = {
    "meaning-2": "denominator",
    "meaning-3": "numerator",
    "meaning-4": "7/12",
}
"""Right answers to the text items of "What a fraction means"."""


@pytest.fixture(scope="module")
def class_r(live_server: LiveServer) -> Iterator[int]:
    """Class ``r``: the e2e teacher, rita (new) and rob (two answers), with Fractions."""
    with live_server.backend.transaction() as s:
        klass = classes.ensure_class(s, name="r")
        for name, password in (RITA, ROB):
            users.create_user(s, username=name, password=password, role=Role.STUDENT)
            classes.enrol(s, class_name="r", username=name)
        classes.enrol(s, class_name="r", username=TEACHER[0], role=Role.TEACHER)
        classes.add_course(s, class_name="r", course_id="fractions")
        class_id = klass.id
        rob = users.get_user(s, username=ROB[0])
        s.expunge(rob)
    for item, response in (("meaning-1", "a"), ("meaning-2", "numerator")):
        learning.submit_attempt(
            live_server.backend, user=rob, course_key="fractions", item_key=item, response=response
        )
    yield class_id


def log_in_as(page: Page, url: str, who: tuple[str, str]) -> None:
    page.goto(f"{url}/login")
    page.locator("#username").fill(who[0])
    page.locator("#password").fill(who[1])
    page.locator("form[action='/login'] button[type=submit]").click()


def test_a_student_follows_the_recommendation_reads_about_a_mistake_and_sets_a_goal(
    live_server: LiveServer, class_r: int, new_page: NewPage, shot: Shooter
) -> None:
    url = live_server.url
    page = new_page(locale="en-US")
    log_in_as(page, url, RITA)
    page.goto(f"{url}/courses/fractions")

    # the course page: what to do next and why; nothing practised yet shows no number
    nxt = page.locator("#next")
    expect(nxt).to_contain_text("“What a fraction means” needs nothing before it")
    expect(page.locator("#reviews")).to_contain_text("Nothing is due for review.")
    expect(page.locator("#path")).to_contain_text("You have no goal yet.")
    row = page.locator("#mastery-table tr[data-concept='fraction-meaning'] td.mastery")
    expect(row).to_have_text("not started")
    expect(page.locator("svg.map text.value").filter(visible=True).first).to_have_text(
        "not started"
    )
    expect(page.locator("#range-note")).to_contain_text("62% (45–77)")
    shot(page, "course")

    # practise: the recommended question says why it was chosen
    nxt.get_by_role("link", name="Practise the next step").click()
    expect(page).to_have_url(re.compile(r"/courses/fractions/items/meaning-\d+\?via=next$"))
    expect(page.locator("#why-this")).to_contain_text("Why this question:")
    expect(page.locator("#why-this")).to_contain_text("needs nothing before it")
    shot(page, "item-recommended")

    # a question of the concept, from the course page's table, answered wrong
    page.goto(f"{url}/courses/fractions")
    page.locator("#mastery-table").get_by_role("link", name="What a fraction means").click()
    expect(page).to_have_url(f"{url}/courses/fractions/items/meaning-1")
    page.get_by_label("5/8").check()
    page.get_by_role("button", name="Check my answer").click()
    result = page.locator("#result")
    expect(result.locator(".verdict")).to_have_text("Not correct")
    expect(result.locator(".feedback")).to_contain_text("5/8 is the part that is left over")
    read = result.locator("#read-about")
    expect(read.get_by_role("heading", name="Read about it")).to_be_visible()
    first = read.locator("#read-about-list a").first
    expect(first).to_have_attribute("href", re.compile(r"^/courses/fractions/materials/.+#.+"))
    expect(first).to_contain_text("What a fraction means ›")
    expect(result.locator("#next-about")).to_contain_text(
        "Your last answer on “What a fraction means” was not right"
    )
    expect(result.locator(".changes li")).to_contain_text(
        re.compile(r"What a fraction means: not started → \d+% \(\d+–\d+\)")
    )
    shot(page, "item-wrong")

    # the section opens at its heading
    href = first.get_attribute("href")
    assert href is not None
    page.goto(url + href)
    assert page.evaluate(
        "() => document.getElementById(decodeURIComponent(location.hash.slice(1))) !== null"
    )

    # the next question: another one on the concept, saying why; answered right
    page.goto(f"{url}/courses/fractions/practice")
    expect(page.locator("#why-this")).to_contain_text("was not right")
    item = page.url.split("/items/")[1].split("?")[0]
    if item not in RIGHT:  # a free-text or choice item: answer a text one instead
        item = "meaning-2"
        page.goto(f"{url}/courses/fractions/items/{item}")
    page.get_by_label("Your answer").fill(RIGHT[item])
    page.get_by_role("button", name="Check my answer").click()
    expect(result.locator(".verdict")).to_have_text("Correct")
    expect(result.locator("#read-about")).to_have_count(0)
    shot(page, "item-right")

    # a goal: the course page shows the path to it
    page.goto(f"{url}/courses/fractions")
    page.get_by_label("Goal concept").select_option("equivalent-fractions")
    page.get_by_role("button", name="Set as my goal").click()
    expect(page).to_have_url(f"{url}/courses/fractions?goal=saved#path")
    path = page.locator("#path")
    expect(path).to_contain_text("Your goal is saved.")
    expect(path).to_contain_text("Your goal: Equivalent fractions.")
    steps = page.locator("#path-table tbody tr")
    expect(steps.last).to_have_attribute("data-concept", "equivalent-fractions")
    expect(steps.first).to_contain_text("yes, now")
    expect(page.locator("#path-total")).to_contain_text(
        re.compile(r"In all about \d+ answers to reach Equivalent fractions\.")
    )
    expect(page.locator("#next")).to_contain_text("goal")
    path.screenshot(path=str(shot.folder / f"{shot.prefix}-path.png"))
    shot(page, "course-path")

    # 中文: the same pages in Chinese
    page.get_by_role("button", name="中文").click()
    expect(page.locator("#path")).to_contain_text("你的目标：等值分数（分数的基本性质）。")
    expect(
        page.locator("#mastery-table tr[data-concept='unit-fractions'] td.mastery")
    ).to_have_text("尚未开始")
    shot(page, "course-zh")
    page.goto(f"{url}/courses/fractions/items/meaning-1")
    page.get_by_label("5/8").check()
    page.get_by_role("button", name="提交答案").click()
    expect(result.locator(".verdict")).to_have_text("不正确")
    expect(result.locator("#read-about")).to_contain_text("读一读相关内容")
    expect(result.locator("#read-about-list a").first).to_contain_text("分数的意义")
    shot(page, "item-wrong-zh")


def test_a_teacher_sets_the_class_goal_and_the_student_sees_it(
    live_server: LiveServer, class_r: int, new_page: NewPage, shot: Shooter
) -> None:
    url = live_server.url
    teacher = new_page(locale="en-US")
    log_in_as(teacher, url, TEACHER)
    teacher.goto(f"{url}/teach/classes/{class_r}")
    row = teacher.locator("#class-courses tr[data-course='fractions']")
    expect(row.locator(".goal-now")).to_have_text("no goal")
    row.get_by_label("The class's goal in Fractions").select_option("comparing")
    row.get_by_role("button", name="Set goal").click()
    expect(teacher.locator("#goal-saved")).to_have_text(
        "The class's goal in Fractions is now Comparing and ordering fractions."
    )
    expect(row.locator(".goal-now")).to_have_text("Comparing and ordering fractions")
    shot(teacher, "class-goal")

    # rob has no goal of his own: the class's shows, with its path
    student = new_page(locale="en-US")
    log_in_as(student, url, ROB)
    student.goto(f"{url}/courses/fractions")
    path = student.locator("#path")
    expect(path).to_contain_text(
        "Your teacher set the goal Comparing and ordering fractions for your class."
    )
    expect(student.locator("#path-table tbody tr").last).to_have_attribute(
        "data-concept", "comparing"
    )
    expect(path.get_by_role("button", name="Clear my goal")).to_have_count(0)
    shot(student, "student-class-goal")

    # rita's own goal wins until she clears it
    rita = new_page(locale="en-US")
    log_in_as(rita, url, RITA)
    rita.goto(f"{url}/courses/fractions")
    expect(rita.locator("#goal-now")).to_have_text("Your goal: Equivalent fractions.")
    rita.get_by_role("button", name="Clear my goal").click()
    expect(rita.locator("#path")).to_contain_text("Your own goal is cleared.")
    expect(rita.locator("#goal-now")).to_have_text(
        "Your teacher set the goal Comparing and ordering fractions for your class."
    )

    # the class's heat map: "not started" where nobody answered, a range elsewhere
    teacher.goto(f"{url}/teach/classes/{class_r}/courses/fractions/mastery")
    cells = teacher.locator("#mastery-table tr[data-student=rob] td.cell")
    expect(cells.first).to_have_text(re.compile(r"^\d+% \(\d+–\d+\)\s*$"))
    expect(cells.nth(1)).to_have_text("not started")
    expect(teacher.locator("#range-note")).to_contain_text("62% (45–77)")
    expect(teacher.locator("#mastery-chart .main-svg").first).to_be_visible()
    shot(teacher, "heat-map")
    teacher.get_by_role("button", name="中文").click()
    expect(cells.nth(1)).to_have_text("尚未开始")
    expect(teacher.locator("#mastery-chart .main-svg").first).to_be_visible()
    shot(teacher, "heat-map-zh")
    teacher.goto(f"{url}/teach/classes/{class_r}")
    expect(teacher.locator("#class-courses tr[data-course='fractions'] .goal-now")).to_have_text(
        "分数的大小比较"
    )
    shot(teacher, "class-goal-zh")

    # the class's goal cleared: nobody else is steered
    teacher.locator("#class-courses tr[data-course='fractions']").get_by_role(
        "button", name="清除目标"
    ).click()
    expect(teacher.locator("#goal-saved")).to_have_text("班级在 分数 中现在没有目标。")
