"""Shared fixtures: real databases (a SQLite file; PostgreSQL when reachable) and a tiny pack."""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from learnloop.services import Backend
from learnloop.settings import Settings, get_settings

POSTGRES_URL = os.environ.get(
    "LEARNLOOP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("LEARNLOOP_TEST_REQUIRE_POSTGRES") == "1"

# Module-scoped fixtures are built before the autouse fixture below sets these for each test:
# they get the same safe defaults (no local model loaded, no embedding model) from here.
os.environ["LEARNLOOP_CHAT_BACKEND"] = "fake"
os.environ["LEARNLOOP_EMBEDDING_MODEL"] = "none"


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {POSTGRES_URL} is not reachable ({type(exc).__name__}: {exc})"
    return None


_PG_PROBLEM: list[str | None] = []


def postgres_problem() -> str | None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_postgres_problem())
    return _PG_PROBLEM[0]


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads the developer's own data directory or .env."""
    for key in list(os.environ):
        if key.startswith("LEARNLOOP_") and not key.startswith("LEARNLOOP_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("LEARNLOOP_DATA_DIR", str(tmp_path / "data"))
    # importing a course indexes its materials: by keywords, unless a test asks for a model
    monkeypatch.setenv("LEARNLOOP_EMBEDDING_MODEL", "none")
    # the tutor generates with canned replies unless a test asks for the local model
    monkeypatch.setenv("LEARNLOOP_CHAT_BACKEND", "fake")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'db' / 'learnloop.db'}"


@contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL schema, dropped on exit; skips if none is reachable."""
    problem = postgres_problem()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(problem)
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards."""
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Run the test once on a SQLite file and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def backend(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    """A migrated, empty database; the CLI and app in the same test see it too."""
    monkeypatch.setenv("LEARNLOOP_DATABASE_URL", database_url)
    get_settings.cache_clear()
    b = Backend.open(Settings(database_url=database_url), check_schema=False)
    b.upgrade()
    yield b
    b.close()


TINY_PACK = {
    "course.yaml": """\
        id: tiny
        title: {en: Tiny course, zh: 小课程}
        languages: [en, zh]
        """,
    "concepts.yaml": """\
        - id: halves
          name: {en: Halves, zh: 二分之一}
        - id: quarters
          name: {en: Quarters, zh: 四分之一}
          prerequisites: [halves]
        """,
    "items/all.yaml": """\
        - id: q1
          type: numeric
          prompt: {en: "What is half of 1?", zh: "1 的一半是多少？"}
          concepts: [halves]
          answer: {value: "1/2"}
          hints: [{en: Split it in two., zh: 分成两份。}]
        - id: q2
          type: multiple_choice
          prompt: {en: "Which equals 1/4?", zh: "哪个等于 1/4？"}
          concepts: [quarters]
          answer:
            choices:
              - {id: a, text: "0.25", correct: true}
              - {id: b, text: "0.4"}
        - id: q3
          type: free_text
          prompt: {en: "Why is 2/4 the same as 1/2?", zh: "为什么 2/4 等于 1/2？"}
          concepts: [quarters, halves]
          reference_answers:
            - {en: "Both numerator and denominator are doubled.", zh: "分子分母都乘以 2。"}
        """,
    "materials/halves.en.md": """\
        ---
        id: halves
        title: Halves
        language: en
        concepts: [halves]
        ---
        # Halves
        A half is one of two equal parts.
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
        """,
}


def write_pack(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@pytest.fixture
def tiny_pack(tmp_path: Path) -> Path:
    return write_pack(tmp_path / "tiny", TINY_PACK)
