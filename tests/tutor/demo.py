"""The demo courses in a real database, with students enrolled, for tutor tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from learnloop.services import Backend, classes, courses, users
from learnloop.services.demo import demo_course_paths
from learnloop.settings import Settings
from learnloop.storage.tables import Role, User


@dataclass
class DemoCourses:
    backend: Backend
    students: dict[str, User]


def open_demo_courses(root: Path, database_url: str | None = None) -> Iterator[DemoCourses]:
    """Both demo courses (indexed by keywords), a class, and students ``sam`` (en),
    ``ming`` (zh) and ``ada`` (en), without the demo's graders."""
    url = database_url or f"sqlite:///{root / 'learnloop.db'}"
    settings = Settings(database_url=url, data_dir=root / "data", embedding_model="none")
    backend = Backend.open(settings, check_schema=False)
    backend.upgrade()
    students: dict[str, User] = {}
    with backend.transaction() as s:
        for path in demo_course_paths():
            courses.import_path(s, path=path, embedder=None)
        classes.ensure_class(s, name="c")
        for name, lang in (("sam", "en"), ("ming", "zh"), ("ada", "en")):
            users.create_user(
                s, username=name, password="pw-" + name * 3, role=Role.STUDENT, language=lang
            )
            classes.enrol(s, class_name="c", username=name)
            students[name] = users.get_user(s, username=name)
        for course in ("fractions", "photosynthesis"):
            classes.add_course(s, class_name="c", course_id=course)
        s.flush()
        for user in students.values():
            s.expunge(user)
    try:
        yield DemoCourses(backend, students)
    finally:
        backend.close()
