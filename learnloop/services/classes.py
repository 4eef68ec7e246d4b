"""Classes: a teacher, students and the courses they take."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from learnloop.errors import ConflictError, InvalidInputError, NotFoundError
from learnloop.services.auth import end_logins
from learnloop.services.courses import get_course_row
from learnloop.services.users import MIN_PASSWORD, USERNAME_RE, get_user, hash_password
from learnloop.storage.tables import ClassCourse, CourseRow, Enrolment, Role, SchoolClass, User

log = logging.getLogger(__name__)


def ensure_class(session: Session, *, name: str) -> SchoolClass:
    row = session.scalar(select(SchoolClass).where(SchoolClass.name == name))
    if row is None:
        row = SchoolClass(name=name)
        session.add(row)
        session.flush()
    return row


def get_class(session: Session, *, name: str) -> SchoolClass:
    row = session.scalar(select(SchoolClass).where(SchoolClass.name == name))
    if row is None:
        raise NotFoundError(f"no class named {name!r}")
    return row


def enrol(session: Session, *, class_name: str, username: str, role: Role = Role.STUDENT) -> None:
    """Add a user to a class (idempotent); ``role`` is teacher or student within the class."""
    klass = get_class(session, name=class_name)
    user = get_user(session, username=username)
    row = session.get(Enrolment, (klass.id, user.id))
    if row is None:
        session.add(Enrolment(class_id=klass.id, user_id=user.id, role=role))
    else:
        row.role = role
    session.flush()


def add_course(session: Session, *, class_name: str, course_id: str) -> None:
    klass = get_class(session, name=class_name)
    course = get_course_row(session, course_id=course_id)
    if session.get(ClassCourse, (klass.id, course.id)) is None:
        session.add(ClassCourse(class_id=klass.id, course_id=course.id))
        session.flush()


@dataclass(frozen=True)
class ClassInfo:
    id: int
    name: str
    teachers: list[str]
    students: int
    courses: list[str]


def class_info(session: Session, klass: SchoolClass) -> ClassInfo:
    members = session.execute(
        select(User.username, Enrolment.role)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.class_id == klass.id)
        .order_by(User.username)
    ).all()
    course_keys = session.scalars(
        select(CourseRow.key)
        .join(ClassCourse, ClassCourse.course_id == CourseRow.id)
        .where(ClassCourse.class_id == klass.id)
        .order_by(CourseRow.key)
    ).all()
    return ClassInfo(
        id=klass.id,
        name=klass.name,
        teachers=[u for u, r in members if r is Role.TEACHER],
        students=sum(r is Role.STUDENT for _, r in members),
        courses=list(course_keys),
    )


def classes_of(session: Session, user: User) -> list[ClassInfo]:
    q = select(SchoolClass).order_by(SchoolClass.name)
    if user.role is not Role.ADMIN:
        q = q.join(Enrolment, Enrolment.class_id == SchoolClass.id).where(
            Enrolment.user_id == user.id
        )
    return [class_info(session, k) for k in session.scalars(q)]


def create_class(session: Session, *, name: str, teacher: User) -> SchoolClass:
    name = name.strip()
    if not name:
        raise InvalidInputError("a class needs a name", details={"name": "empty"})
    if session.scalar(select(SchoolClass.id).where(SchoolClass.name == name)):
        raise ConflictError(f"a class named {name!r} already exists")
    klass = SchoolClass(name=name)
    session.add(klass)
    session.flush()
    if teacher.role is Role.TEACHER:
        session.add(Enrolment(class_id=klass.id, user_id=teacher.id, role=Role.TEACHER))
        session.flush()
    return klass


@dataclass(frozen=True)
class RosterMember:
    user_id: int
    username: str
    display_name: str
    role: Role


def roster(session: Session, *, class_id: int) -> list[RosterMember]:
    rows = session.execute(
        select(User, Enrolment.role)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.class_id == class_id)
        .order_by(Enrolment.role.desc(), User.username)
    ).all()
    return [RosterMember(u.id, u.username, u.display_name, r) for u, r in rows]


@dataclass
class RosterReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    enrolled: list[str] = field(default_factory=list)


ROSTER_COLUMNS = ("username", "display_name", "password", "language")
MAX_DISPLAY_NAME = 200


def _read_csv(csv_text: str) -> tuple[list[str], list[tuple[int, dict[str | None, Any]]]]:
    """The header and each record with its line number; a CSV that cannot be read (an
    unclosed quote, a field over the csv module's size limit) is invalid input."""
    reader = csv.DictReader(io.StringIO(csv_text))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
        records = [(reader.line_num, record) for record in reader]
    except csv.Error as exc:
        problem = f"line {reader.line_num + 1}: the CSV cannot be read ({exc})"
        raise InvalidInputError(problem, details={"problems": [problem]}) from None
    return header, records


def import_roster(
    session: Session, *, class_id: int, csv_text: str, may_update: set[int] | None = None
) -> RosterReport:
    """Create or update the students listed in a CSV and enrol them; all rows or none.

    Columns: ``username`` (required), ``display_name``, ``password`` (required for new
    students, at least 8 characters; blank keeps an existing one), ``language`` (en or zh).
    ``may_update``: the existing students the importer may change and enrol (``None``: any);
    a teacher must not reset the password of, or gain the data of, another class's student.
    """
    if csv_text.startswith("\ufeff"):
        csv_text = csv_text[1:]
    header, records = _read_csv(csv_text)
    problems: list[str] = []
    if "username" not in header:
        raise InvalidInputError(
            "line 1: the CSV needs a header row with a 'username' column "
            f"(allowed columns: {', '.join(ROSTER_COLUMNS)})",
            details={"problems": ["line 1: missing 'username' column"]},
        )
    unknown = [h for h in header if h not in ROSTER_COLUMNS]
    if unknown:
        problems.append(
            f"line 1: unknown column(s) {', '.join(unknown)}; allowed: {', '.join(ROSTER_COLUMNS)}"
        )
    plans: list[tuple[int, dict[str, str]]] = []
    seen: dict[str, int] = {}
    for line, record in records:
        row = {(k or "").strip(): (v or "").strip() for k, v in record.items() if k}
        name = row.get("username", "")
        if not name:
            problems.append(f"line {line}: the username is empty")
            continue
        if name.lower() in seen:
            problems.append(f"line {line}: {name!r} already appears on line {seen[name.lower()]}")
            continue
        seen[name.lower()] = line
        if not USERNAME_RE.fullmatch(name):
            problems.append(
                f"line {line}: username {name!r} is not allowed (2-64 letters, digits, . _ @ -)"
            )
            continue
        if len(row.get("display_name", "")) > MAX_DISPLAY_NAME:
            problems.append(
                f"line {line}: the display_name is longer than {MAX_DISPLAY_NAME} characters"
            )
        lang = row.get("language") or "en"
        if lang not in ("en", "zh"):
            problems.append(f"line {line}: language {lang!r} must be en or zh")
        existing = session.scalar(select(User).where(func.lower(User.username) == name.lower()))
        password = row.get("password", "")
        if existing is None and len(password) < MIN_PASSWORD:
            problems.append(
                f"line {line}: new student {name!r} needs a password of at least "
                f"{MIN_PASSWORD} characters"
            )
        elif existing is not None and existing.role is not Role.STUDENT and may_update is None:
            problems.append(f"line {line}: {name!r} is a {existing.role.value}, not a student")
        elif existing is not None and may_update is not None and existing.id not in may_update:
            # the same words whoever the name belongs to: a teacher learns nothing of other
            # accounts (a teacher's or admin's name is never one of their students)
            problems.append(
                f"line {line}: {name!r} is not a student of your classes; ask an administrator "
                "to enrol them"
            )
        elif password and len(password) < MIN_PASSWORD:
            problems.append(f"line {line}: the password is shorter than {MIN_PASSWORD} characters")
        plans.append((line, row))
    if not plans and not problems:
        problems.append("the CSV has a header but no students")
    if problems:
        raise InvalidInputError(
            f"the roster has {len(problems)} problem(s); nothing was changed. {problems[0]}",
            details={"problems": problems},
        )
    report = RosterReport()
    for _line, row in plans:
        name = row["username"]
        user = session.scalar(select(User).where(func.lower(User.username) == name.lower()))
        if user is None:
            user = User(
                username=name,
                display_name=row.get("display_name") or name,
                role=Role.STUDENT,
                password_hash=hash_password(row["password"]),
                language=row.get("language") or "en",
            )
            session.add(user)
            session.flush()
            report.created.append(name)
        else:
            if row.get("display_name"):
                user.display_name = row["display_name"]
            if row.get("language"):
                user.language = row["language"]
            if row.get("password"):
                # a new password ends the student's logins: whoever knew the old one (or
                # holds a session) is out, and the reset is on record
                user.password_hash = hash_password(row["password"])
                ended = end_logins(session, user_id=user.id)
                log.info(
                    "roster import into class %s set a new password for %r (%d logins ended)",
                    class_id,
                    user.username,
                    ended,
                )
            report.updated.append(user.username)
        if session.get(Enrolment, (class_id, user.id)) is None:
            session.add(Enrolment(class_id=class_id, user_id=user.id, role=Role.STUDENT))
            report.enrolled.append(user.username)
    session.flush()
    return report
