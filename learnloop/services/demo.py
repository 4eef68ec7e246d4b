"""The demo: both demo courses, a class, accounts to log in with, and free-text graders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from learnloop.services import classes, courses, users
from learnloop.services.context import Backend
from learnloop.services.demo_graders import demo_data_file, ensure_demo_grader
from learnloop.storage.tables import Role, User

DEMO_COURSES_DIR = Path(__file__).resolve().parent.parent / "demo" / "courses"
DEMO_CLASS = "Demo class"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    language: str
    display_name: str


DEMO_ACCOUNTS = (
    DemoAccount("admin", "admin-demo", Role.ADMIN, "en", "Ada Admin"),
    DemoAccount("teacher", "teacher-demo", Role.TEACHER, "en", "Tom Teacher"),
    DemoAccount("student", "student-demo", Role.STUDENT, "en", "Sam Student"),
    DemoAccount("xiaoming", "xiaoming-demo", Role.STUDENT, "zh", "王小明"),
)


def demo_course_paths() -> list[Path]:
    return sorted(p for p in DEMO_COURSES_DIR.iterdir() if (p / "course.yaml").is_file())


def setup_demo(backend: Backend, *, progress: courses.Progress | None = None) -> list[str]:
    """Create or refresh the demo; safe to run again. Returns one line per thing done.

    A demo course with sample answers (``demo/grader-data``) gets a free-text grader trained
    on them, so its free-text answers are graded at once instead of waiting for a teacher.
    """
    backend.upgrade()
    done = []
    with backend.transaction() as session:
        course_ids = []
        for path in demo_course_paths():
            report = courses.import_path(session, path=path, progress=progress)
            course_ids.append(report.course_id)
            done.append(report.summary())
        for account in DEMO_ACCOUNTS:
            if session.scalar(select(User.id).where(User.username == account.username)) is None:
                users.create_user(
                    session,
                    username=account.username,
                    password=account.password,
                    role=account.role,
                    display_name=account.display_name,
                    language=account.language,
                )
                done.append(f"user {account.username!r} ({account.role.value}) created")
        classes.ensure_class(session, name=DEMO_CLASS)
        for account in DEMO_ACCOUNTS:
            if account.role is not Role.ADMIN:
                classes.enrol(
                    session, class_name=DEMO_CLASS, username=account.username, role=account.role
                )
        for course_id in course_ids:
            classes.add_course(session, class_name=DEMO_CLASS, course_id=course_id)
    with_data = [(c, f) for c in course_ids if (f := demo_data_file(c)) is not None]
    for n, (course_id, data_file) in enumerate(with_data):
        if progress is not None:
            progress(f"grader for {course_id}", n, len(with_data))
        done.append(ensure_demo_grader(backend, course=course_id, data_file=data_file).summary())
    return done
