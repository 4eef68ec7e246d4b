"""Who may see and change what. Every service that reads or writes a user's data asks here.

Rules: an admin may do everything. A teacher manages the classes they teach: their rosters,
their students' work and mastery, and courses. A student sees only their own data and only
the courses of their classes. Data a user may not see is reported as not found, so that ids
of other classes' students do not even reveal that they exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from learnloop.errors import NotFoundError, PermissionDeniedError
from learnloop.storage.tables import ClassCourse, CourseRow, Enrolment, Role, SchoolClass, User


def require_role(user: User, *roles: Role) -> None:
    if user.role is Role.ADMIN or user.role in roles:
        return
    allowed = " or ".join(r.value for r in roles)
    raise PermissionDeniedError(f"only a {allowed} may do this; you are a {user.role.value}")


def taught_class_ids(session: Session, user: User) -> set[int]:
    """Classes ``user`` teaches now: their enrolments as a teacher count only while their
    account is a teacher's (or an admin's). A teacher demoted to student keeps the rows (an
    admin may promote them back) but manages nothing from the moment of the change."""
    if user.role not in (Role.TEACHER, Role.ADMIN):
        return set()
    return set(
        session.scalars(
            select(Enrolment.class_id).where(
                Enrolment.user_id == user.id, Enrolment.role == Role.TEACHER
            )
        )
    )


def student_class_ids(session: Session, user: User) -> set[int]:
    return set(
        session.scalars(
            select(Enrolment.class_id).where(
                Enrolment.user_id == user.id, Enrolment.role == Role.STUDENT
            )
        )
    )


def visible_student_ids(session: Session, user: User) -> set[int] | None:
    """Students whose data ``user`` may read; ``None`` means all (admin)."""
    if user.role is Role.ADMIN:
        return None
    if user.role is Role.TEACHER:
        classes = taught_class_ids(session, user)
        ids = set(
            session.scalars(
                select(Enrolment.user_id).where(
                    Enrolment.class_id.in_(classes), Enrolment.role == Role.STUDENT
                )
            )
        )
        return ids | {user.id}
    return {user.id}


def check_student(session: Session, actor: User, student_id: int) -> User:
    """The student ``student_id`` if ``actor`` may read their data, else not found."""
    visible = visible_student_ids(session, actor)
    student = session.get(User, student_id)
    if student is None or (visible is not None and student_id not in visible):
        raise NotFoundError(f"no user with id {student_id}")
    return student


def check_class(session: Session, actor: User, class_id: int, *, manage: bool) -> SchoolClass:
    """The class if ``actor`` may see it (``manage``: change it, as its teacher or an admin)."""
    klass = session.get(SchoolClass, class_id)
    if klass is None:
        raise NotFoundError(f"no class with id {class_id}")
    if actor.role is Role.ADMIN:
        return klass
    if class_id in taught_class_ids(session, actor):
        return klass
    if class_id in student_class_ids(session, actor):
        if manage:
            raise PermissionDeniedError("only the class's teacher or an admin may do this")
        return klass
    raise NotFoundError(f"no class with id {class_id}")


def sees_all_courses(user: User) -> bool:
    return user.role in (Role.ADMIN, Role.TEACHER)


def visible_course_ids(session: Session, user: User) -> set[int] | None:
    """Courses ``user`` may open; ``None`` means all (admins and teachers)."""
    if sees_all_courses(user):
        return None
    return set(
        session.scalars(
            select(ClassCourse.course_id).where(
                ClassCourse.class_id.in_(student_class_ids(session, user))
            )
        )
    )


# Every answer checks its course: prepared statements, built once.
_IN_A_CLASS_OF_THE_STUDENT = exists().where(
    ClassCourse.course_id == CourseRow.id,
    Enrolment.class_id == ClassCourse.class_id,
    Enrolment.user_id == bindparam("user_id"),
    Enrolment.role == Role.STUDENT,
)
_COURSE = select(CourseRow).where(CourseRow.key == bindparam("course_key"))
_STUDENTS_COURSE = _COURSE.where(_IN_A_CLASS_OF_THE_STUDENT)
_COURSE_REF = select(CourseRow.id, CourseRow.key, CourseRow.updated_at).where(
    CourseRow.key == bindparam("course_key")
)
_STUDENTS_COURSE_REF = _COURSE_REF.where(_IN_A_CLASS_OF_THE_STUDENT)


class CourseRef(NamedTuple):
    """A course's identity and content version, without the rest of its row."""

    id: int
    key: str
    updated_at: datetime


def check_course(session: Session, actor: User, course_key: str) -> CourseRow:
    if sees_all_courses(actor):
        course = session.scalar(_COURSE, {"course_key": course_key})
    else:
        course = session.scalar(_STUDENTS_COURSE, {"course_key": course_key, "user_id": actor.id})
    if course is None:
        raise NotFoundError(f"no course with id {course_key!r}")
    return course


def check_course_ref(session: Session, actor: User, course_key: str) -> CourseRef:
    """``check_course`` for the answer loop, which needs only the course's id and version."""
    conn = session.connection()
    if sees_all_courses(actor):
        found = conn.execute(_COURSE_REF, {"course_key": course_key}).first()
    else:
        params = {"course_key": course_key, "user_id": actor.id}
        found = conn.execute(_STUDENTS_COURSE_REF, params).first()
    if found is None:
        raise NotFoundError(f"no course with id {course_key!r}")
    return CourseRef(*found)


def courses_of(session: Session, user: User) -> list[CourseRow]:
    """The courses ``user`` may open, by id."""
    q = select(CourseRow).order_by(CourseRow.key)
    visible = visible_course_ids(session, user)
    if visible is not None:
        q = q.where(CourseRow.id.in_(visible))
    return list(session.scalars(q))


def check_course_import(session: Session, actor: User, course_key: str) -> None:
    """A teacher may add a course, or replace one that no class they do not teach uses: a
    re-import changes (and may retire) what those classes' students practise."""
    if actor.role is Role.ADMIN:
        return
    require_role(actor, Role.TEACHER)
    course = session.scalar(select(CourseRow).where(CourseRow.key == course_key))
    if course is None:
        return
    users = set(
        session.scalars(select(ClassCourse.class_id).where(ClassCourse.course_id == course.id))
    )
    if users - taught_class_ids(session, actor):
        raise PermissionDeniedError(
            f"the course {course_key!r} is used by classes you do not teach; ask an admin "
            "or import it under a new course id"
        )


def class_has_course(session: Session, *, class_id: int, course_id: int) -> bool:
    return (
        session.scalar(
            select(ClassCourse.class_id).where(
                ClassCourse.class_id == class_id, ClassCourse.course_id == course_id
            )
        )
        is not None
    )


def teaches_course(session: Session, user: User, course: CourseRow) -> bool:
    """Whether ``user`` teaches a class that has ``course``."""
    classes = taught_class_ids(session, user)
    return bool(classes) and (
        session.scalar(
            select(ClassCourse.class_id).where(
                ClassCourse.course_id == course.id, ClassCourse.class_id.in_(classes)
            )
        )
        is not None
    )


def check_course_teacher(session: Session, actor: User, course_key: str) -> CourseRow:
    """The course if ``actor`` may manage how it is graded: an admin, or a teacher of a class
    that has it. Teachers may open every course, so another teacher's course is refused
    (403) rather than hidden."""
    require_role(actor, Role.TEACHER)
    course = check_course(session, actor, course_key)
    if actor.role is Role.ADMIN or teaches_course(session, actor, course):
        return course
    raise PermissionDeniedError(
        f"only a teacher of a class that has the course {course_key!r}, or an admin, may do "
        "this; ask an admin to add the course to your class"
    )
