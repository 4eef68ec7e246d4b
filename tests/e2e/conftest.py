"""A real server and a real browser: uvicorn in a thread on a free port, the demo courses in a
SQLite file, the fake chat model (deterministic replies), and headless Chromium driven by
Playwright.

Chromium is Debian's (``make browsers`` installs it; ``LEARNLOOP_TEST_CHROMIUM`` names
another). Without it, or without Playwright, the tests are skipped with the reason; with
``LEARNLOOP_TEST_REQUIRE_BROWSER=1`` (CI) they fail instead. Every page the tests visit is
saved as a screenshot in one folder (``LEARNLOOP_E2E_SCREENSHOTS``, else a new temporary
folder), printed at the end of the run.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from learnloop.services import Backend, classes, users
from learnloop.storage.tables import Role, User
from learnloop.tutor.fake import FakeChat
from tests.tutor.demo import open_demo_courses

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = os.environ.get("LEARNLOOP_TEST_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("LEARNLOOP_TEST_REQUIRE_BROWSER") == "1"

TUTOR_REPLY = (
    "Look at where the 7 sits in the fraction [1]. The number below the bar tells you how "
    "many equal parts make the whole."
)
"""What the fake chat model says to every question."""

PASSWORDS = {"sam": "pw-samsamsam", "ming": "pw-mingmingming", "ada": "pw-adaadaada"}
TEACHER = ("teacher", "pw-teacher-e2e")
"""A teacher of the demo class, for the teacher pages' tests."""

_SHOTS: list[Path] = []


def browser_problem() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed: pip install -e '.[dev]'"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM}: run `make browsers` (apt-get install chromium)"
    return None


def _need_browser() -> None:
    problem = browser_problem()
    if problem:
        if REQUIRE_BROWSER:
            pytest.fail(problem)
        pytest.skip(problem)


@dataclass
class LiveServer:
    url: str
    backend: Backend
    chat: FakeChat
    students: dict[str, User]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# "package", not "session": Playwright's sync API keeps an event loop running in the main
# thread until it stops, and later tests that call asyncio.run() need that thread free.
@pytest.fixture(scope="package")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    _need_browser()
    import uvicorn

    from learnloop.web import create_app

    demo_courses = open_demo_courses(tmp_path_factory.mktemp("e2e"))
    demo = next(demo_courses)
    with demo.backend.transaction() as s:
        users.create_user(s, username=TEACHER[0], password=TEACHER[1], role=Role.TEACHER)
        classes.enrol(s, class_name="c", username=TEACHER[0], role=Role.TEACHER)
    chat = FakeChat(default=TUTOR_REPLY)
    app = create_app(demo.backend, chat_model=chat)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name="e2e-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", demo.backend, chat, demo.students)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        demo_courses.close()


@pytest.fixture(scope="package")
def browser(live_server: LiveServer) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    folder = Path(
        os.environ.get("LEARNLOOP_E2E_SCREENSHOTS") or tempfile.mkdtemp(prefix="learnloop-e2e-")
    )
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\ne2e screenshots: {folder}")
    _SHOTS.append(folder)
    return folder


@dataclass
class Shooter:
    """Saves full-page screenshots, numbered in the order taken."""

    folder: Path
    prefix: str
    taken: list[Path] = field(default_factory=list)

    def __call__(self, page: Page, name: str) -> Path:
        path = self.folder / f"{self.prefix}-{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@pytest.fixture
def shot(screenshot_dir: Path, request: pytest.FixtureRequest) -> Shooter:
    return Shooter(screenshot_dir, request.node.name.removeprefix("test_")[:40])


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """A page in a fresh browser context (own cookies):
    ``new_page(locale=, width=, height=, javascript=)``.
    Script errors, and error answers to anything but the page itself (a script, a style
    sheet, a call to the API), fail the test."""
    contexts: list[Any] = []
    problems: list[str] = []

    def make(
        locale: str = "en-US", width: int = 1280, height: int = 900, javascript: bool = True
    ) -> Page:
        context = browser.new_context(
            locale=locale,
            viewport={"width": width, "height": height},
            java_script_enabled=javascript,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()

        def console(message: Any) -> None:
            # a page answered with an error status is logged too; the tests check those
            if message.type == "error" and "Failed to load resource" not in message.text:
                problems.append(f"console error: {message.text}")

        def response(answer: Any) -> None:
            if answer.status >= 400 and answer.request.resource_type != "document":
                problems.append(f"{answer.status} for {answer.request.method} {answer.url}")

        page.on("console", console)
        page.on("response", response)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, problems


def log_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORDS.get(username) or TEACHER[1])
    page.locator("form[action='/login'] button[type=submit]").click()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _SHOTS:
        terminalreporter.write_line(f"e2e screenshots: {_SHOTS[0]}")
