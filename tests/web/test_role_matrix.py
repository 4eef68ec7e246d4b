"""Who may do what to whose data: every /api/v1 route x role x target, on SQLite and PostgreSQL.

The school (tests/web/conftest.py): Class A (teach_a; stud_a, stud_a2; course tiny), Class B
(teach_b; stud_b; course other) and an admin. The actors are stud_a ("student"), teach_a
("teacher"), admin and anonymous, so "own" means Class A, stud_a and tiny, and "other" means
Class B, stud_b and other. Anonymous gets 401; a role that may never use a route gets 403;
data the user may not see is 404, so an id from another class does not reveal that it exists.

One database per module and database kind, with tokens issued through the service (a login
costs an argon2 hash). Cells that write either leave the data as it was (the same roster row,
a course the class already has, the same course pack) or touch only rows of their own (a new
user, class or token), so no cell depends on the order the cells run in.
"""

from __future__ import annotations

import io
import os
import re
import textwrap
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select

from learnloop.services import Backend, auth, jobs
from learnloop.settings import Settings
from learnloop.storage.tables import AttemptRow, CourseRow, GradeRow, ItemRow, ReviewRow, User
from learnloop.web import create_app
from learnloop.web.app import API_PREFIX
from tests.conftest import TINY_PACK, fresh_postgres_schema
from tests.web.conftest import PASSWORD, populate_school

ROLES = ("anonymous", "student", "teacher", "admin")
ACTOR: dict[str, str | None] = {
    "anonymous": None,
    "student": "stud_a",
    "teacher": "teach_a",
    "admin": "admin",
}
MISSING = 987_654
PUBLIC = {("GET", "/health"), ("POST", "/auth/login")}
"""Routes that answer without a login; every other route must give anonymous a 401."""


def pack_zip(course_id: str) -> bytes:
    """The tiny pack as an upload, under ``course_id`` (identical to the school's courses)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, content in TINY_PACK.items():
            text = textwrap.dedent(content)
            if name == "course.yaml":
                text = text.replace("id: tiny", f"id: {course_id}")
            archive.writestr(f"{course_id}/{name}", text)
    return buf.getvalue()


@dataclass(frozen=True)
class Call:
    url: str
    params: dict[str, Any] | None = None
    json: Any = None
    csv: str | None = None
    upload: bytes | None = None
    token: str | None = None
    """Sent instead of the actor's usual token (a logout must not end the shared login)."""


@dataclass
class World:
    backend: Backend
    client: TestClient
    ids: dict[str, int]
    tokens: dict[str, str] = field(default_factory=dict)
    attempts: dict[str, list[int]] = field(default_factory=dict)
    """Attempt ids answered by each user before any cell runs."""

    def issue(self, username: str, name: str = "matrix") -> tuple[int, str]:
        with self.backend.transaction() as s:
            user = s.get(User, self.ids[username])
            assert user is not None
            issued = auth.issue_token(s, user=user, kind="api", name=name)
        return issued.id, issued.token

    def send(self, method: str, call: Call, *, as_user: str | None) -> httpx.Response:
        headers: dict[str, str] = {}
        if as_user is not None:
            headers["Authorization"] = f"Bearer {call.token or self.tokens[as_user]}"
        content: bytes | None = None
        if call.csv is not None:
            content = call.csv.encode()
            headers["Content-Type"] = "text/csv"
        files = {"upload": ("pack.zip", call.upload, "application/zip")} if call.upload else None
        return self.client.request(
            method,
            API_PREFIX + call.url,
            params=call.params,
            json=call.json,
            content=content,
            files=files,
            headers=headers,
        )

    def queue_answer(self, username: str) -> int:
        """A new answer of ``username`` to q3 of their class's course, with a provisional
        learned grade waiting in the review queue; the review's id."""
        course = {"stud_a": "tiny", "stud_a2": "tiny", "stud_b": "other"}[username]
        with self.backend.transaction() as s:
            item = s.scalar(
                select(ItemRow.id)
                .join(CourseRow, CourseRow.id == ItemRow.course_id)
                .where(CourseRow.key == course, ItemRow.key == "q3")
            )
            attempt = AttemptRow(
                user_id=self.ids[username], item_id=item, response={"value": "doubled"}
            )
            s.add(attempt)
            s.flush()
            grade = GradeRow(
                attempt_id=attempt.id,
                verdict="correct",
                score=1.0,
                feedback="Correct. This grade is provisional: your teacher will check it.",
                grader="learned.tfidf",
                confidence=0.6,
                provisional=True,
            )
            s.add(grade)
            s.flush()
            review = ReviewRow(grade_id=grade.id, reason="unsure")
            s.add(review)
            s.flush()
            return review.id

    def job_of(self, username: str) -> int:
        """A new queued (never started) job of ``username``."""
        return jobs.create_job(
            self.backend,
            kind="grader.retrain",
            params={"course_id": "tiny"},
            created_by=self.ids[username],
        )

    def get(self, username: str, url: str, **params: Any) -> Any:
        r = self.send("GET", Call(url, params=params), as_user=username)
        assert r.status_code == 200, r.text
        return r.json()


class Names:
    """What ``{...}`` in a cell's URL, query or body stands for, looked up when the cell runs:
    a username or ``A`` / ``B`` (the classes) is its id; ``missing`` an id nothing has; ``me``
    the actor (stud_a for anonymous); ``unique`` a fresh name; ``token_of_<user>`` the id of a
    new token of that user (``token_of_me``: the actor's)."""

    def __init__(self, world: World, me: str) -> None:
        self.world, self.me = world, me

    def __getitem__(self, key: str) -> Any:
        if key == "me":
            return self.me
        if key == "unique":
            return uuid.uuid4().hex[:10]
        if key == "missing":
            return MISSING
        if key in ("A", "B"):
            return self.world.ids[f"Class {key}"]
        if key.startswith("token_of_"):
            username = key.removeprefix("token_of_")
            return self.world.issue(self.me if username == "me" else username)[0]
        if key.startswith("review_of_"):
            return self.world.queue_answer(key.removeprefix("review_of_"))
        if key.startswith("job_of_"):
            username = key.removeprefix("job_of_")
            return self.world.job_of(self.me if username == "me" else username)
        return self.world.ids[key]

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.format_map(self)
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    expect: dict[str, int]
    request: dict[str, Any] = field(repr=False)
    """``params``, ``json``, ``csv``, ``upload`` (bytes); ``own_login``: send a new token of
    the actor rather than the shared one."""

    def call(self, world: World, me: str) -> Call:
        names = Names(world, me)
        req = dict(self.request)
        token = world.issue(me)[1] if req.pop("own_login", False) else None
        return Call(
            names.fill(self.url),
            params=names.fill(req.pop("params", None)),
            json=names.fill(req.pop("json", None)),
            csv=names.fill(req.pop("csv", None)),
            upload=req.pop("upload", None),
            token=token,
        )


def cell(
    name: str,
    url: str,
    student: int,
    teacher: int,
    admin: int,
    *,
    anonymous: int = 401,
    **request: Any,
) -> Target:
    """One target of a route with the status each role gets."""
    expect = {"anonymous": anonymous, "student": student, "teacher": teacher, "admin": admin}
    return Target(name, url, expect, request)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    targets: tuple[Target, ...]


def route(method: str, path: str, *targets: Target) -> Route:
    return Route(method, path, targets)


def answer(course: str, item: str = "q1") -> dict[str, Any]:
    return {"course_id": course, "item_id": item, "response": "1/2"}


LOGIN = {"username": "{me}", "password": PASSWORD, "kind": "api"}
SAME_PASSWORD = {"old_password": PASSWORD, "new_password": PASSWORD}
NEW_USER = {"username": "u{unique}", "password": "password-new"}
VERDICT = {"verdict": "incorrect", "note": "matrix"}
TFIDF = {"kind": "tfidf"}

# Target names say whose data it is from the actors' side (they are all of Class A).
OWN = "own-stud_a"
MATE = "classmate-stud_a2"
OTHER = "other-class-stud_b"
OTHER_T = "other-teacher-teach_b"
OWN_C = "own-class-A"
OTHER_C = "other-class-B"
TINY = "own-course-tiny"
OTHER_CO = "other-course-other"

# cell(target name, URL, status for the student, the teacher, the admin[, anonymous=401],
#      params= / json= / csv= / upload= / own_login=)
# fmt: off
MATRIX: list[Route] = [
    # public
    route("GET", "/health", cell("public", "/health", 200, 200, 200, anonymous=200)),
    route(
        "POST", "/auth/login",
        cell("own-password", "/auth/login", 200, 200, 200, anonymous=200, json=LOGIN),
        cell("wrong-password", "/auth/login", 401, 401, 401, json={**LOGIN, "password": "no-1"}),
    ),
    # logins and tokens
    route("POST", "/auth/logout", cell("own-login", "/auth/logout", 204, 204, 204, own_login=True)),
    route("POST", "/auth/tokens", cell("own", "/auth/tokens", 201, 201, 201, json={"name": "x"})),
    route("GET", "/auth/tokens", cell("own", "/auth/tokens", 200, 200, 200)),
    route(
        "DELETE", "/auth/tokens/{token_id}",
        cell("own", "/auth/tokens/{token_of_me}", 204, 204, 204),
        cell(MATE, "/auth/tokens/{token_of_stud_a2}", 404, 404, 404),
        cell(OTHER_T, "/auth/tokens/{token_of_teach_b}", 404, 404, 404),
        cell("missing", "/auth/tokens/{missing}", 404, 404, 404),
    ),
    route(
        "POST", "/auth/password",
        cell("own", "/auth/password", 204, 204, 204, json=SAME_PASSWORD),
    ),
    # users
    route("GET", "/me", cell("self", "/me", 200, 200, 200)),
    route("GET", "/users", cell("everyone", "/users", 403, 403, 200)),
    route(
        "POST", "/users",
        cell("new-student", "/users", 403, 403, 201, json=NEW_USER),
        cell("new-admin", "/users", 403, 403, 201, json={**NEW_USER, "role": "admin"}),
    ),
    route(
        "PUT", "/users/{username}/role",
        cell(OWN, "/users/stud_a/role", 403, 403, 200, json={"role": "student"}),
        cell("self-to-admin", "/users/{me}/role", 403, 403, 200, json={"role": "admin"}),
        cell("missing", "/users/nobody/role", 403, 403, 404, json={"role": "student"}),
    ),
    # classes
    route("GET", "/classes", cell("mine", "/classes", 200, 200, 200)),
    route("POST", "/classes", cell("new", "/classes", 403, 201, 201, json={"name": "C {unique}"})),
    route(
        "GET", "/classes/{class_id}",
        cell(OWN_C, "/classes/{A}", 200, 200, 200),
        cell(OTHER_C, "/classes/{B}", 404, 404, 200),
        cell("missing", "/classes/{missing}", 404, 404, 404),
    ),
    route(
        "GET", "/classes/{class_id}/roster",
        cell(OWN_C, "/classes/{A}/roster", 403, 200, 200),
        cell(OTHER_C, "/classes/{B}/roster", 404, 404, 200),
        cell("missing", "/classes/{missing}/roster", 404, 404, 404),
    ),
    route(
        "POST", "/classes/{class_id}/roster.csv",
        cell(OWN_C, "/classes/{A}/roster.csv", 403, 200, 200, csv="username\nstud_a\n"),
        cell(OTHER_C, "/classes/{B}/roster.csv", 404, 404, 200, csv="username\nstud_b\n"),
        cell("missing", "/classes/{missing}/roster.csv", 404, 404, 404, csv="username\nstud_a\n"),
    ),
    route(
        "POST", "/classes/{class_id}/courses",
        cell(OWN_C, "/classes/{A}/courses", 403, 200, 200, json={"course_id": "tiny"}),
        cell(OTHER_C, "/classes/{B}/courses", 404, 404, 200, json={"course_id": "other"}),
        cell("missing", "/classes/{missing}/courses", 404, 404, 404, json={"course_id": "tiny"}),
    ),
    route(
        "GET", "/classes/{class_id}/overview/{course_id}",
        cell(f"{OWN_C}/{TINY}", "/classes/{A}/overview/tiny", 403, 200, 200),
        cell(f"{OTHER_C}/{OTHER_CO}", "/classes/{B}/overview/other", 404, 404, 200),
        cell(f"{OWN_C}/missing", "/classes/{A}/overview/nope", 403, 404, 404),
        cell(f"missing/{TINY}", "/classes/{missing}/overview/tiny", 404, 404, 404),
    ),
    # courses
    route("GET", "/courses", cell("mine", "/courses", 200, 200, 200)),
    route(
        "GET", "/courses/{course_id}",
        cell(TINY, "/courses/tiny", 200, 200, 200),
        cell(OTHER_CO, "/courses/other", 404, 200, 200),
        cell("missing", "/courses/nope", 404, 404, 404),
    ),
    route(
        "GET", "/courses/{course_id}/items/{item_id}",
        cell(TINY, "/courses/tiny/items/q1", 200, 200, 200),
        cell(OTHER_CO, "/courses/other/items/q1", 404, 200, 200),
        cell(f"{TINY}/missing-item", "/courses/tiny/items/nope", 404, 404, 404),
    ),
    route(
        "POST", "/courses/import",
        cell("new-course", "/courses/import", 403, 200, 200, upload=pack_zip("matrix")),
        cell(TINY, "/courses/import", 403, 200, 200, upload=pack_zip("tiny")),
        cell(OTHER_CO, "/courses/import", 403, 403, 200, upload=pack_zip("other")),
    ),
    # answers, mastery, progress
    route(
        "POST", "/attempts",
        cell(TINY, "/attempts", 201, 201, 201, json=answer("tiny")),
        cell(OTHER_CO, "/attempts", 404, 201, 201, json=answer("other")),
        cell("missing", "/attempts", 404, 404, 404, json=answer("nope")),
    ),
    route(
        "GET", "/attempts",
        cell("unfiltered", "/attempts", 200, 200, 200),
        cell(OWN, "/attempts", 200, 200, 200, params={"user_id": "{stud_a}"}),
        cell(MATE, "/attempts", 404, 200, 200, params={"user_id": "{stud_a2}"}),
        cell(OTHER, "/attempts", 404, 404, 200, params={"user_id": "{stud_b}"}),
        cell(OTHER_T, "/attempts", 404, 404, 200, params={"user_id": "{teach_b}"}),
        cell("missing", "/attempts", 404, 404, 404, params={"user_id": "{missing}"}),
        cell(TINY, "/attempts", 200, 200, 200, params={"course_id": "tiny"}),
        cell(OTHER_CO, "/attempts", 404, 200, 200, params={"course_id": "other"}),
        cell(f"{OTHER}/{OTHER_CO}", "/attempts", 404, 404, 200,
             params={"user_id": "{stud_b}", "course_id": "other"}),
    ),
    route(
        "GET", "/students/{user_id}/mastery/{course_id}",
        cell(f"{OWN}/{TINY}", "/students/{stud_a}/mastery/tiny", 200, 200, 200),
        cell(f"{MATE}/{TINY}", "/students/{stud_a2}/mastery/tiny", 404, 200, 200),
        cell(f"{OTHER}/{OTHER_CO}", "/students/{stud_b}/mastery/other", 404, 404, 200),
        cell(f"{OTHER}/{TINY}", "/students/{stud_b}/mastery/tiny", 404, 404, 200),
        cell(f"{OWN}/{OTHER_CO}", "/students/{stud_a}/mastery/other", 404, 200, 200),
        cell(f"{OTHER_T}/{TINY}", "/students/{teach_b}/mastery/tiny", 404, 404, 200),
        cell(f"missing/{TINY}", "/students/{missing}/mastery/tiny", 404, 404, 404),
    ),
    route(
        "GET", "/students/{user_id}/progress",
        cell(OWN, "/students/{stud_a}/progress", 200, 200, 200),
        cell(MATE, "/students/{stud_a2}/progress", 404, 200, 200),
        cell(OTHER, "/students/{stud_b}/progress", 404, 404, 200),
        cell(OTHER_T, "/students/{teach_b}/progress", 404, 404, 200),
        cell("missing", "/students/{missing}/progress", 404, 404, 404),
    ),
    route(
        "GET", "/next/{course_id}",
        cell(TINY, "/next/tiny", 200, 200, 200),
        cell(OTHER_CO, "/next/other", 404, 200, 200),
        cell("missing", "/next/nope", 404, 404, 404),
    ),
    route(
        "GET", "/path/{course_id}",
        cell(TINY, "/path/tiny", 200, 200, 200, params={"goal": "quarters"}),
        cell(OTHER_CO, "/path/other", 404, 200, 200, params={"goal": "quarters"}),
        cell(f"{TINY}/missing-goal", "/path/tiny", 404, 404, 404, params={"goal": "nope"}),
        cell("missing", "/path/nope", 404, 404, 404),
    ),
    # a goal: a student's own, or a class's set by its teacher
    route(
        "PUT", "/goals/{course_id}",
        cell(TINY, "/goals/tiny", 200, 200, 200, json={"concept_id": "quarters"}),
        cell(OTHER_CO, "/goals/other", 404, 200, 200, json={"concept_id": "quarters"}),
        cell("missing", "/goals/nope", 404, 404, 404, json={"concept_id": "quarters"}),
    ),
    route(
        "PUT", "/classes/{class_id}/goals/{course_id}",
        cell(f"{OWN_C}/{TINY}", "/classes/{A}/goals/tiny", 403, 200, 200,
             json={"concept_id": "quarters"}),
        cell(f"{OTHER_C}/{OTHER_CO}", "/classes/{B}/goals/other", 404, 404, 200,
             json={"concept_id": "quarters"}),
        cell(f"{OWN_C}/{OTHER_CO}", "/classes/{A}/goals/other", 404, 422, 422,
             json={"concept_id": "quarters"}),
        cell(f"missing/{TINY}", "/classes/{missing}/goals/tiny", 404, 404, 404,
             json={"concept_id": "quarters"}),
    ),
    # the review queue: teachers of the student's class (that has the course) and admins
    route(
        "GET", "/reviews",
        cell("mine", "/reviews", 403, 200, 200),
        cell(TINY, "/reviews", 403, 200, 200, params={"course_id": "tiny"}),
        cell(OTHER_CO, "/reviews", 403, 200, 200, params={"course_id": "other"}),
        cell("missing-course", "/reviews", 403, 404, 404, params={"course_id": "nope"}),
    ),
    route(
        "POST", "/reviews/{review_id}/confirm",
        cell(OWN, "/reviews/{review_of_stud_a}/confirm", 403, 200, 200, json={}),
        cell(MATE, "/reviews/{review_of_stud_a2}/confirm", 403, 200, 200, json={}),
        cell(OTHER, "/reviews/{review_of_stud_b}/confirm", 403, 404, 200, json={}),
        cell("missing", "/reviews/{missing}/confirm", 403, 404, 404, json={}),
    ),
    route(
        "POST", "/reviews/{review_id}/override",
        cell(OWN, "/reviews/{review_of_stud_a}/override", 403, 200, 200, json=VERDICT),
        cell(OTHER, "/reviews/{review_of_stud_b}/override", 403, 404, 200, json=VERDICT),
        cell("missing", "/reviews/{missing}/override", 403, 404, 404, json=VERDICT),
    ),
    # a course's grader: teachers of a class that has the course, and admins
    route(
        "GET", "/courses/{course_id}/grader/models",
        cell(TINY, "/courses/tiny/grader/models", 403, 200, 200),
        cell(OTHER_CO, "/courses/other/grader/models", 403, 403, 200),
        cell("missing", "/courses/nope/grader/models", 403, 404, 404),
    ),
    route(
        "POST", "/courses/{course_id}/grader/retrain",
        cell(TINY, "/courses/tiny/grader/retrain", 403, 202, 202, json=TFIDF),
        cell(OTHER_CO, "/courses/other/grader/retrain", 403, 403, 202, json=TFIDF),
        cell("missing", "/courses/nope/grader/retrain", 403, 404, 404, json=TFIDF),
    ),
    # the tutor: anyone who may open the course asks; conversations and ratings are one's own
    route(
        "POST", "/tutor/messages",
        cell(TINY, "/tutor/messages", 200, 200, 200,
             json={"course_id": "tiny", "message": "What is a half?"}),
        cell(OTHER_CO, "/tutor/messages", 404, 200, 200,
             json={"course_id": "other", "message": "What is a half?"}),
        cell("missing", "/tutor/messages", 404, 404, 404,
             json={"course_id": "nope", "message": "What is a half?"}),
    ),
    route(
        "POST", "/tutor/messages/{message_id}/rating",
        cell("missing", "/tutor/messages/{missing}/rating", 404, 404, 404,
             json={"helpful": True}),
    ),
    route(
        "GET", "/tutor/conversations",
        cell("mine", "/tutor/conversations", 200, 200, 200),
    ),
    route(
        "GET", "/tutor/conversations/{conversation_id}",
        cell("missing", "/tutor/conversations/{missing}", 404, 404, 404),
    ),
    # analytics: a class's teachers (the map), a course's teachers (items, tutor questions)
    route(
        "GET", "/analytics/classes/{class_id}/mastery",
        cell(f"{OWN_C}/{TINY}", "/analytics/classes/{A}/mastery", 403, 200, 200,
             params={"course_id": "tiny"}),
        cell(f"{OTHER_C}/{OTHER_CO}", "/analytics/classes/{B}/mastery", 404, 404, 200,
             params={"course_id": "other"}),
        cell(f"{OWN_C}/missing", "/analytics/classes/{A}/mastery", 403, 404, 404,
             params={"course_id": "nope"}),
        cell(f"missing/{TINY}", "/analytics/classes/{missing}/mastery", 404, 404, 404,
             params={"course_id": "tiny"}),
    ),
    route(
        "GET", "/analytics/students/{user_id}/history",
        cell(OWN, "/analytics/students/{stud_a}/history", 200, 200, 200),
        cell(MATE, "/analytics/students/{stud_a2}/history", 404, 200, 200),
        cell(OTHER, "/analytics/students/{stud_b}/history", 404, 404, 200),
        cell(OTHER_T, "/analytics/students/{teach_b}/history", 404, 404, 200),
        cell(f"{OWN}/{OTHER_CO}", "/analytics/students/{stud_a}/history", 404, 200, 200,
             params={"course_id": "other"}),
        cell("missing", "/analytics/students/{missing}/history", 404, 404, 404),
    ),
    route(
        "GET", "/analytics/courses/{course_id}/items",
        cell(TINY, "/analytics/courses/tiny/items", 403, 200, 200),
        cell(OTHER_CO, "/analytics/courses/other/items", 403, 403, 200),
        cell(f"{TINY}/{OTHER_C}", "/analytics/courses/tiny/items", 403, 404, 200,
             params={"class_id": "{B}"}),
        cell("missing", "/analytics/courses/nope/items", 403, 404, 404),
    ),
    route(
        "GET", "/analytics/courses/{course_id}/tutor-questions",
        cell(TINY, "/analytics/courses/tiny/tutor-questions", 403, 200, 200),
        cell(OTHER_CO, "/analytics/courses/other/tutor-questions", 403, 403, 200),
        cell(f"{TINY}/{OTHER_C}", "/analytics/courses/tiny/tutor-questions", 403, 404, 200,
             params={"class_id": "{B}"}),
        cell("missing", "/analytics/courses/nope/tutor-questions", 403, 404, 404),
    ),
    # a job: whoever started it, and admins
    route(
        "GET", "/jobs/{job_id}",
        cell("own", "/jobs/{job_of_me}", 200, 200, 200),
        cell(OTHER_T, "/jobs/{job_of_teach_b}", 404, 404, 200),
        cell("missing", "/jobs/{missing}", 404, 404, 404),
    ),
]
# fmt: on

CELLS = [
    pytest.param(r, t, role, id=f"{r.method} {r.path} {t.name} {role}")
    for r in MATRIX
    for t in r.targets
    for role in ROLES
]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The school on one migrated database, shared by every cell of the module."""
    root = tmp_path_factory.mktemp("matrix")
    database: AbstractContextManager[str] = (
        fresh_postgres_schema()
        if request.param == "postgres"
        else nullcontext(f"sqlite:///{root / 'learnloop.db'}")
    )
    with database as url, pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)  # no developer's .env
        for key in list(os.environ):
            if key.startswith("LEARNLOOP_") and not key.startswith("LEARNLOOP_TEST_"):
                mp.delenv(key)
        settings = Settings(database_url=url, data_dir=root / "data")
        backend = Backend.open(settings, check_schema=False)
        backend.upgrade()
        w = World(backend, TestClient(create_app(backend)), populate_school(backend, root))
        for username in ("admin", "teach_a", "teach_b", "stud_a", "stud_a2", "stud_b"):
            w.tokens[username] = w.issue(username, name="shared")[1]
        # teach_b answers in tiny too: a teacher who sees every course must still not
        # see another teacher's (or class's) answers in it
        for username, course, item in [
            ("stud_a", "tiny", "q1"),
            ("stud_a", "tiny", "q2"),
            ("stud_a2", "tiny", "q1"),
            ("stud_b", "other", "q1"),
            ("teach_b", "tiny", "q1"),
        ]:
            r = w.send("POST", Call("/attempts", json=answer(course, item)), as_user=username)
            assert r.status_code == 201, r.text
            w.attempts.setdefault(username, []).append(r.json()["attempt_id"])
        yield w
        assert jobs.wait_for_threads(timeout=120), "a retraining job is still running"
        backend.close()


def _path_pattern(path: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)))


@pytest.mark.parametrize(("route", "target", "role"), CELLS)
def test_role_matrix(world: World, route: Route, target: Target, role: str) -> None:
    me = ACTOR[role]
    call = target.call(world, me or "stud_a")
    assert _path_pattern(route.path).fullmatch(call.url), f"{call.url} is not {route.path}"
    r = world.send(route.method, call, as_user=me)
    expected = target.expect[role]
    assert r.status_code == expected, f"{route.method} {call.url}: {r.status_code} {r.text[:400]}"
    if expected >= 400:
        assert r.json()["error"]["status"] == expected


def test_every_api_route_is_in_the_matrix() -> None:
    """A new route without rows here fails: decide who may call it before it ships."""
    app = create_app(Backend.open(Settings(database_url="sqlite://"), check_schema=False))
    served: set[tuple[str, str]] = set()
    for ctx in iter_route_contexts(app.routes):
        path = ctx.path or ""
        if isinstance(ctx.original_route, APIRoute) and path.startswith(API_PREFIX + "/"):
            served |= {(method, path.removeprefix(API_PREFIX)) for method in ctx.methods or ()}
    tested = {(r.method, r.path) for r in MATRIX}
    assert served - tested == set(), "routes without matrix rows"
    assert tested - served == set(), "matrix rows for routes that do not exist"
    assert served >= PUBLIC
    assert len({p.id for p in CELLS}) == len(CELLS), "two targets of a route share a name"
    for r in MATRIX:
        for t in r.targets:
            assert set(t.expect) == set(ROLES)
            if (r.method, r.path) not in PUBLIC:
                assert t.expect["anonymous"] == 401, f"{r.method} {r.path} {t.name}"


# --- what 200 answers contain -------------------------------------------------------------


def _attempt_users(world: World, username: str, **params: Any) -> set[int]:
    return {a["user_id"] for a in world.get(username, "/attempts", limit=1000, **params)}


def test_a_student_lists_only_their_own_answers(world: World) -> None:
    ids = world.ids
    listed = world.get("stud_a", "/attempts", limit=1000)
    assert {a["user_id"] for a in listed} == {ids["stud_a"]}
    assert set(world.attempts["stud_a"]) <= {a["id"] for a in listed}
    assert _attempt_users(world, "stud_a", course_id="tiny") == {ids["stud_a"]}
    assert _attempt_users(world, "stud_b") == {ids["stud_b"]}


def test_a_teacher_lists_only_their_students_answers(world: World) -> None:
    ids = world.ids
    users = _attempt_users(world, "teach_a")
    assert {ids["stud_a"], ids["stud_a2"]} <= users
    assert users <= {ids["stud_a"], ids["stud_a2"], ids["teach_a"]}
    # tiny is also answered by teach_b, and teachers may open every course
    assert ids["teach_b"] not in _attempt_users(world, "teach_a", course_id="tiny")
    assert _attempt_users(world, "teach_a", course_id="other") <= {ids["teach_a"]}
    assert _attempt_users(world, "teach_b") <= {ids["stud_b"], ids["teach_b"]}


def test_an_admin_lists_everyones_answers(world: World) -> None:
    listed = {a["id"] for a in world.get("admin", "/attempts", limit=1000)}
    assert {i for ids in world.attempts.values() for i in ids} <= listed


def test_course_lists_hold_only_the_courses_of_ones_classes(world: World) -> None:
    assert [c["id"] for c in world.get("stud_a", "/courses")] == ["tiny"]
    assert [c["id"] for c in world.get("stud_b", "/courses")] == ["other"]
    for username in ("teach_a", "admin"):
        assert {"tiny", "other"} <= {c["id"] for c in world.get(username, "/courses")}


def test_class_lists_hold_only_ones_classes(world: World) -> None:
    assert [c["name"] for c in world.get("stud_a", "/classes")] == ["Class A"]
    assert [c["name"] for c in world.get("stud_b", "/classes")] == ["Class B"]
    taught = world.get("teach_a", "/classes")
    assert "Class A" in {c["name"] for c in taught}
    assert all("teach_a" in c["teachers"] for c in taught)
    assert {"Class A", "Class B"} <= {c["name"] for c in world.get("admin", "/classes")}


def test_rosters_overviews_and_progress_hold_only_the_class(world: World) -> None:
    class_a = world.ids["Class A"]
    roster = world.get("teach_a", f"/classes/{class_a}/roster")
    assert {m["username"] for m in roster} == {"teach_a", "stud_a", "stud_a2"}
    overview = world.get("teach_a", f"/classes/{class_a}/overview/tiny")
    assert {s["username"] for s in overview["students"]} == {"stud_a", "stud_a2"}
    for username in ("stud_a", "teach_a"):
        progress = world.get(username, f"/students/{world.ids['stud_a']}/progress")
        assert [p["course_id"] for p in progress] == ["tiny"]


def test_token_lists_hold_only_ones_own_tokens(world: World) -> None:
    others = {world.issue(u)[0] for u in ("stud_a2", "stud_b", "teach_b", "admin")}
    for username in ("stud_a", "teach_a"):
        listed = {t["id"] for t in world.get(username, "/auth/tokens")}
        assert listed and not listed & others


def test_revoking_anothers_token_id_leaves_it_working(world: World) -> None:
    token_id, token = world.issue("stud_b")
    for username in ("stud_a", "teach_a", "admin"):
        r = world.send("DELETE", Call(f"/auth/tokens/{token_id}"), as_user=username)
        assert r.status_code == 404
    assert world.send("GET", Call("/me", token=token), as_user="stud_b").status_code == 200


@pytest.mark.parametrize("username", ["stud_a", "teach_a"])
@pytest.mark.parametrize(
    ("url", "hidden", "missing"),
    [
        ("/students/{}/progress", "stud_b", MISSING),
        ("/classes/{}", "Class B", MISSING),
        ("/classes/{}/roster", "Class B", MISSING),
        ("/attempts?user_id={}", "stud_b", MISSING),
    ],
)
def test_a_hidden_id_looks_exactly_like_a_missing_one(
    world: World, username: str, url: str, hidden: str, missing: int
) -> None:
    hidden_id = world.ids[hidden]
    seen = world.send("GET", Call(url.format(hidden_id)), as_user=username).json()["error"]
    absent = world.send("GET", Call(url.format(missing)), as_user=username).json()["error"]
    assert seen["status"] == absent["status"] == 404
    assert seen["message"].replace(str(hidden_id), "#") == absent["message"].replace(
        str(missing), "#"
    )
    assert seen["details"] == absent["details"]


def test_the_teacher_of_every_class_using_a_course_may_update_it(world: World) -> None:
    r = world.send("POST", Call("/courses/import", upload=pack_zip("other")), as_user="teach_b")
    assert r.status_code == 200, r.text
    assert r.json()["created"] is False


def test_a_roster_import_cannot_take_over_another_class_student(world: World) -> None:
    """Listing stud_b in Class A's roster would reset their password and hand teach_a their
    answers; the import is refused with the line, and nothing changes."""
    csv_call = Call(
        f"/classes/{world.ids['Class A']}/roster.csv",
        csv="username,password\nstud_a2,\nstud_b,hijacked-pw\n",
    )
    r = world.send("POST", csv_call, as_user="teach_a")
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"]["problems"] == [
        "line 3: 'stud_b' is not a student of your classes; ask an administrator to enrol them"
    ]
    stud_b = Call("/attempts", params={"user_id": world.ids["stud_b"]})
    assert world.send("GET", stud_b, as_user="teach_a").status_code == 404
    # another teacher's name gets the same words: the roster tells no one's role
    teacher = Call(
        f"/classes/{world.ids['Class A']}/roster.csv", csv="username,password\nteach_b,\n"
    )
    r = world.send("POST", teacher, as_user="teach_a")
    assert r.status_code == 422
    assert r.json()["error"]["details"]["problems"] == [
        "line 2: 'teach_b' is not a student of your classes; ask an administrator to enrol them"
    ]
    login = Call("/auth/login", json={"username": "stud_b", "password": PASSWORD})
    assert world.send("POST", login, as_user=None).status_code == 200


def test_a_demoted_teacher_manages_nothing_from_the_next_request(world: World) -> None:
    """teach_d teaches Class D (stud_a2, course tiny); once an admin makes them a student, the
    same token reads and changes nothing of the class, its students or its course, although
    the enrolment rows stay (promoting them back restores it all)."""
    from learnloop.services import classes, users
    from learnloop.storage.tables import Role

    with world.backend.transaction() as s:
        user = users.create_user(s, username="teach_d", password=PASSWORD, role=Role.TEACHER)
        klass = classes.create_class(s, name="Class D", teacher=user)
        classes.enrol(s, class_name="Class D", username="stud_a2")
        classes.add_course(s, class_name="Class D", course_id="tiny")
        world.ids["teach_d"], class_d = user.id, klass.id
    world.tokens["teach_d"] = world.issue("teach_d")[1]
    calls = [
        ("GET", Call(f"/classes/{class_d}/roster")),
        ("GET", Call(f"/classes/{class_d}/overview/tiny")),
        ("GET", Call("/attempts", params={"user_id": world.ids["stud_a2"]})),
        ("GET", Call(f"/students/{world.ids['stud_a2']}/mastery/tiny")),
        ("GET", Call(f"/analytics/classes/{class_d}/mastery", params={"course_id": "tiny"})),
        ("POST", Call(f"/classes/{class_d}/roster.csv", csv="username,password\nstud_a2,\n")),
    ]
    before = {str(c): world.send(m, c, as_user="teach_d").status_code for m, c in calls}
    assert set(before.values()) == {200}, before

    def set_role(role: Role) -> None:
        with world.backend.transaction() as s:
            users.set_role(s, username="teach_d", role=role)

    set_role(Role.STUDENT)
    try:
        after = {str(c): world.send(m, c, as_user="teach_d").status_code for m, c in calls}
        assert all(code in (403, 404) for code in after.values()), after
    finally:
        set_role(Role.TEACHER)
    assert world.send(*calls[0], as_user="teach_d").status_code == 200
