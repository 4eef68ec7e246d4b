"""A student in a real browser: logs in, practises (right, then wrong), asks the tutor (a
streamed, cited reply), takes a hint, rates a reply, reads the cited section, sees mastery
move on the course map and the progress page, and switches to Chinese; on a phone-sized
screen with the keyboard only; and the error pages."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from learnloop.services import tutor
from tests.e2e.conftest import PASSWORDS, TUTOR_REPLY, LiveServer, Shooter, log_in

pytestmark = pytest.mark.e2e

NewPage = Callable[..., Page]


def mastery_of(page: Page, concept: str) -> str:
    """The mastery cell's words: "not started", or "62% (45–77)"."""
    row = page.locator(f"#mastery-table tr[data-concept='{concept}']")
    return " ".join(row.locator("td.mastery").inner_text().split())


def test_a_student_practises_asks_the_tutor_and_sees_mastery_change(
    live_server: LiveServer, new_page: NewPage, shot: Shooter
) -> None:
    url = live_server.url
    page = new_page(locale="en-US")

    # a page that needs a login leads to the login page, and back after it
    page.goto(f"{url}/courses/fractions")
    expect(page).to_have_url(re.compile(r"/login\?next=/courses/fractions$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    shot(page, "login")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password")
    shot(page, "login-failed")
    page.get_by_label("Password").fill(PASSWORDS["sam"])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{url}/courses/fractions")

    # the course map: concepts coloured by mastery, with a table of the numbers
    expect(page.get_by_role("heading", name="Fractions: course map")).to_be_visible()
    expect(page.locator("svg.map .node").filter(visible=True)).to_have_count(20)
    before = mastery_of(page, "fraction-meaning")
    shot(page, "course-map")

    page.get_by_role("link", name="My courses").click()
    expect(page.get_by_role("heading", name="My courses")).to_be_visible()
    expect(page.locator(".course-card")).to_have_count(2)
    shot(page, "courses")

    # practice: the recommended item, saying why it was chosen
    page.locator(".course-card", has_text="Fractions").get_by_role("link", name="Practise").click()
    expect(page).to_have_url(re.compile(r"/courses/fractions/items/meaning-\d+\?via=next$"))
    expect(page.locator("#why-this")).to_contain_text("“What a fraction means” needs nothing")

    # an item of the concept, answered right
    page.goto(f"{url}/courses/fractions/items/meaning-1")
    expect(page.get_by_text("A pizza is cut into 8 equal slices")).to_be_visible()
    shot(page, "item")
    page.get_by_label("3/8").check()
    page.get_by_role("button", name="Check my answer").click()
    result = page.locator("#result")
    expect(result.locator(".verdict")).to_have_text("Correct")
    expect(result.locator(".feedback")).to_contain_text("8 equal slices make the whole")
    expect(result.get_by_role("heading", name="Why")).to_be_visible()
    expect(result.locator(".changes li")).to_contain_text("What a fraction means")
    shot(page, "answer-right")

    # "next" leads to the recommended item; another one is answered wrong
    page.get_by_role("link", name="Next question").click()
    expect(page).to_have_url(re.compile(r"/courses/fractions/items/[^?]+\?via=next$"))
    expect(page.locator("#why-this")).not_to_be_empty()
    page.goto(f"{url}/courses/fractions/items/meaning-2")
    page.get_by_label("Your answer").fill("numerator")
    page.get_by_role("button", name="Check my answer").click()
    expect(result.locator(".verdict")).to_have_text("Not correct")
    expect(result.locator(".feedback")).not_to_be_empty()
    expect(result.locator("details.why summary")).to_have_text(
        "Why? (This shows the right answer.)"
    )
    shot(page, "answer-wrong")

    # the tutor beside the item: a streamed reply with a citation
    calls = len(live_server.chat.calls)
    page.get_by_label("Your question to the tutor").fill("Why is 7 not the numerator?")
    page.get_by_role("button", name="Ask", exact=True).click()
    reply = page.locator(".msg.assistant").first  # the conversation's first reply
    expect(reply.locator(".text")).to_have_text(TUTOR_REPLY)
    expect(reply.locator("sup.cite a")).to_have_text("[1]")
    sources = reply.locator(".sources a")
    expect(sources.first).to_have_attribute("href", re.compile(r"/materials/.+#"))
    assert len(live_server.chat.calls) == calls + 1
    assert "Why is 7 not the numerator?" in live_server.chat.calls[-1][-1].content
    shot(page, "tutor")

    # a hint: the course's own first hint for this item
    page.get_by_role("button", name="Give me a hint").click()
    hint = page.locator(".msg.assistant").last
    expect(hint.locator(".text")).to_have_text("It is the number written below the fraction bar.")

    # rate the tutor's reply: not helpful, too long
    first = page.locator(".msg.assistant").first
    first.get_by_role("button", name="Not helpful").click()
    first.get_by_label("What was wrong with it?").select_option("too_long")
    first.get_by_role("button", name="Send").click()
    expect(first.locator(".thanks")).to_have_text(
        "Thanks. From now on the tutor will: keep its replies short."
    )
    shot(page, "tutor-rated")
    ratings = [
        m.rating
        for c in tutor.conversations(live_server.backend, live_server.students["sam"])
        for m in c.messages
        if m.rating
    ]
    assert ratings == [{"helpful": False, "reason": "too_long"}]

    # the citation opens the material at the cited section
    sources.first.click()
    expect(page).to_have_url(re.compile(r"/courses/fractions/materials/[^?]+\?language=en#"))
    assert page.evaluate(
        "() => { const t = document.getElementById(decodeURIComponent(location.hash.slice(1)));"
        " return t !== null && t.matches(':target') && /^H[1-6]$/.test(t.tagName); }"
    )
    shot(page, "material")

    # a reload of the item keeps the conversation, so hints go on where they stopped
    page.goto(f"{url}/courses/fractions/items/meaning-2")
    expect(page.locator(".msg.assistant")).to_have_count(2)
    expect(page.locator(".msg.assistant").first.get_by_role("button", name="Not helpful"))
    page.get_by_role("button", name="Give me a hint").click()
    expect(page.locator(".msg.assistant").last.locator(".text")).to_have_text(
        "It tells you how many equal parts the whole is split into."
    )

    # mastery moved, on the map and on the progress page
    page.goto(f"{url}/courses/fractions")
    after = mastery_of(page, "fraction-meaning")
    assert after != before, (before, after)
    shot(page, "course-map-after")
    page.get_by_role("link", name="My progress").click()
    expect(page.locator("#progress-table tbody tr")).to_have_count(2)
    expect(page.locator("#progress-table tbody tr").first).to_contain_text("Correct")
    expect(page.locator("#progress-table tbody tr").last).to_contain_text("Not correct")
    expect(page.locator("#progress-chart .main-svg").first).to_be_visible()  # plotly drew it
    # lines: the course average, the one concept practised, the share of right answers
    expect(page.locator("#progress-chart .scatterlayer .trace")).to_have_count(3)
    expect(page.locator("#progress-chart .legend")).to_contain_text("What a fraction means")
    shot(page, "progress")

    # 中文: the switch in the header, remembered from page to page
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", name="分数：我的进度")).to_be_visible()
    expect(page.get_by_role("link", name="我的课程")).to_be_visible()
    shot(page, "progress-zh")
    page.goto(f"{url}/courses/fractions")
    expect(page.get_by_role("heading", name="分数：课程地图")).to_be_visible()
    expect(page.locator("#mastery-table caption")).to_have_text("你对各知识点的掌握程度")
    shot(page, "course-map-zh")
    page.goto(f"{url}/courses/fractions/items/meaning-3")
    expect(page.get_by_role("button", name="提交答案")).to_be_visible()
    expect(page.get_by_role("heading", name="问导师")).to_be_visible()
    shot(page, "item-zh")
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("status")).to_have_text("你已退出登录。")
    page.goto(f"{url}/courses")
    expect(page).to_have_url(re.compile(r"/login\?next=/courses$"))


def test_a_phone_sized_screen_with_the_keyboard_only(
    live_server: LiveServer, new_page: NewPage, shot: Shooter
) -> None:
    """375 px wide, a Chinese browser: the pages speak Chinese without being asked, nothing
    scrolls sideways, and the keyboard reaches everything with a visible focus."""
    url = live_server.url
    page = new_page(locale="zh-CN", width=375, height=812)

    def fits() -> None:
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"

    def focused() -> list[str]:
        return list(
            page.evaluate(
                "() => [document.activeElement.id || document.activeElement.textContent.trim(),"
                " getComputedStyle(document.activeElement).outlineStyle]"
            )
        )

    # the login form with the keyboard: the cursor starts in the username
    page.goto(f"{url}/login")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    assert focused() == ["username", "solid"]
    page.keyboard.type("ming")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORDS["ming"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="我的课程")).to_be_visible()
    fits()
    shot(page, "courses")
    # the first Tab reaches the skip link, visibly
    page.keyboard.press("Tab")
    assert focused() == ["跳到正文", "solid"]
    page.keyboard.press("Enter")
    assert focused()[0] == "main"

    page.goto(f"{url}/courses/photosynthesis")
    expect(page.locator("svg.map .node").filter(visible=True)).to_have_count(20)
    fits()
    shot(page, "course-map")

    # keyboard only: choose an answer and send it
    page.goto(f"{url}/courses/fractions/items/meaning-1")
    page.locator("input[name=response]").first.focus()
    assert focused()[1] == "solid"
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(page.locator("#result .verdict")).to_be_visible()
    assert focused()[0] == "result"
    fits()
    shot(page, "answered")
    page.locator("#tutor-input").focus()
    page.keyboard.type("为什么分母是 8？")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".msg.assistant .sources a").first).to_be_visible()
    fits()
    shot(page, "tutor")

    page.goto(f"{url}/courses/fractions/progress")
    expect(page.locator("#progress-chart .main-svg").first).to_be_visible()
    fits()
    shot(page, "progress")


def test_practice_works_without_javascript(
    live_server: LiveServer, new_page: NewPage, shot: Shooter
) -> None:
    url = live_server.url
    page = new_page(javascript=False)
    log_in(page, url, "ada")
    page.goto(f"{url}/courses/photosynthesis/practice")
    expect(page.locator("#why-this")).to_contain_text("needs nothing before it")
    page.goto(f"{url}/courses/photosynthesis/items/cells-mc-1")
    # (Chromium with scripts switched off by the test still parses <noscript> as text)
    assert "The tutor needs JavaScript" in page.locator("aside.tutor noscript").inner_text()
    expect(page.locator("#tutor-form")).to_be_hidden()
    page.locator("input[name=response]").first.check()
    page.get_by_role("button", name="Check my answer").click()
    expect(page.locator("#result .verdict")).to_be_visible()
    shot(page, "answered")
    page.goto(f"{url}/courses/photosynthesis/progress")
    assert "The chart needs JavaScript" in page.locator(".chart noscript").inner_text()
    expect(page.locator("#progress-table tbody tr")).to_have_count(1)
    shot(page, "progress")


def test_error_pages_say_what_to_do(
    live_server: LiveServer, new_page: NewPage, shot: Shooter
) -> None:
    url = live_server.url
    page = new_page()
    missing = page.goto(f"{url}/no-such-page")
    assert missing is not None and missing.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_role("link", name="Go to my courses")).to_be_visible()
    shot(page, "404")
    log_in(page, url, "ada")
    expect(page.get_by_role("heading", name="My courses")).to_be_visible()
    hidden = page.goto(f"{url}/courses/fractions/items/no-such-item")
    assert hidden is not None and hidden.status == 404
    expect(page.locator("main")).to_contain_text("no item 'no-such-item' in course 'fractions'")
    assert "Traceback" not in page.content()
    shot(page, "404-item")
