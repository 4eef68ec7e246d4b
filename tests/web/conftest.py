"""A small school: two classes with a teacher, students and a course each."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from learnloop.services import Backend, classes, courses, users
from learnloop.settings import Settings
from learnloop.storage.tables import Role
from learnloop.web import create_app
from tests.conftest import TINY_PACK, fresh_postgres_schema, write_pack

PASSWORD = "password-123"


@dataclass
class School:
    backend: Backend
    app_client: TestClient
    ids: dict[str, int]

    def client(self, username: str | None) -> TestClient:
        """A client logged in as ``username`` with a bearer token (None: anonymous)."""
        c = TestClient(self.app_client.app)
        if username is not None:
            r = c.post(
                "/api/v1/auth/login",
                json={"username": username, "password": PASSWORD, "kind": "api"},
            )
            assert r.status_code == 200, r.text
            c.headers["Authorization"] = f"Bearer {r.json()['token']}"
        return c


def populate_school(backend: Backend, root: Path) -> dict[str, int]:
    """Two courses, six users and two classes; the ids of users and classes by name."""
    tiny = write_pack(root / "tiny", TINY_PACK)
    other = dict(TINY_PACK)
    other["course.yaml"] = TINY_PACK["course.yaml"].replace("id: tiny", "id: other")
    other_path = write_pack(root / "other", other)
    ids: dict[str, int] = {}
    with backend.transaction() as s:
        courses.import_path(s, path=tiny)
        courses.import_path(s, path=other_path)
        for name, role in [
            ("admin", Role.ADMIN),
            ("teach_a", Role.TEACHER),
            ("teach_b", Role.TEACHER),
            ("stud_a", Role.STUDENT),
            ("stud_a2", Role.STUDENT),
            ("stud_b", Role.STUDENT),
        ]:
            ids[name] = users.create_user(s, username=name, password=PASSWORD, role=role).id
        for klass, teacher, students, course in [
            ("Class A", "teach_a", ["stud_a", "stud_a2"], "tiny"),
            ("Class B", "teach_b", ["stud_b"], "other"),
        ]:
            ids[klass] = classes.ensure_class(s, name=klass).id
            classes.enrol(s, class_name=klass, username=teacher, role=Role.TEACHER)
            for st in students:
                classes.enrol(s, class_name=klass, username=st)
            classes.add_course(s, class_name=klass, course_id=course)
    return ids


DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
"""Params for a module-scoped fixture built with ``school_on``."""


@contextmanager
def school_on(database: str, root: Path) -> Iterator[School]:
    """The school on a database of its own ("sqlite" or "postgres"), to share between the
    tests of a module that leave it as they found it."""
    urls: AbstractContextManager[str] = (
        fresh_postgres_schema()
        if database == "postgres"
        else nullcontext(f"sqlite:///{root / 'learnloop.db'}")
    )
    with urls as url:
        settings = Settings(database_url=url, data_dir=root / "data")
        backend = Backend.open(settings, check_schema=False)
        try:
            backend.upgrade()
            ids = populate_school(backend, root)
            yield School(backend=backend, app_client=TestClient(create_app(backend)), ids=ids)
        finally:
            backend.close()


@pytest.fixture
def school(backend: Backend, tmp_path: Path) -> School:
    ids = populate_school(backend, tmp_path)
    return School(backend=backend, app_client=TestClient(create_app(backend)), ids=ids)
