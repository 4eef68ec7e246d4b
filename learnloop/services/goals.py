"""Goals: a concept a student works towards in a course, set by the student for themselves or
by a teacher for a class; the student's own goal wins over their class's. The recommender
favours the concepts on the way to it and the path (``services.recommend``) lists them."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from learnloop.errors import InvalidInputError, NotFoundError
from learnloop.services import access
from learnloop.services.context import Backend
from learnloop.storage.tables import ConceptRow, Enrolment, GoalRow, Role, User

_OWN_GOAL = (
    select(ConceptRow.key)
    .join(GoalRow, GoalRow.concept_id == ConceptRow.id)
    .where(
        GoalRow.course_id == bindparam("course_id"),
        GoalRow.user_id == bindparam("user_id"),
        ConceptRow.retired.is_(False),
    )
)
_CLASS_GOAL = (
    select(ConceptRow.key)
    .join(GoalRow, GoalRow.concept_id == ConceptRow.id)
    .join(Enrolment, Enrolment.class_id == GoalRow.class_id)
    .where(
        GoalRow.course_id == bindparam("course_id"),
        Enrolment.user_id == bindparam("user_id"),
        Enrolment.role == Role.STUDENT,
        ConceptRow.retired.is_(False),
    )
    .order_by(GoalRow.set_at.desc(), GoalRow.id.desc())
    .limit(1)
)


def goal_and_source(s: Session, *, user_id: int, course_id: int) -> tuple[str | None, str | None]:
    """The student's own goal in the course (source ``own``), else the goal a teacher set for
    one of their classes, the latest set (``class``), else ``(None, None)``."""
    params = {"course_id": course_id, "user_id": user_id}
    conn = s.connection()
    own = conn.scalar(_OWN_GOAL, params)
    if own is not None:
        return own, "own"
    klass = conn.scalar(_CLASS_GOAL, params)
    return (klass, "class") if klass is not None else (None, None)


def goal_of(s: Session, *, user_id: int, course_id: int) -> str | None:
    """The goal in force for the student: ``goal_and_source`` without the source."""
    return goal_and_source(s, user_id=user_id, course_id=course_id)[0]


def _concept_id(s: Session, course_id: int, course_key: str, concept_key: str) -> int:
    cid = s.scalar(
        select(ConceptRow.id).where(
            ConceptRow.course_id == course_id,
            ConceptRow.key == concept_key,
            ConceptRow.retired.is_(False),
        )
    )
    if cid is None:
        raise NotFoundError(
            f"no concept {concept_key!r} in course {course_key!r}",
            details={"goal": "unknown concept"},
        )
    return cid


def set_goal(
    backend: Backend,
    actor: User,
    course_key: str,
    concept_key: str | None,
    *,
    class_id: int | None = None,
) -> str | None:
    """Set (or with ``None`` clear) the actor's own goal in the course, or with ``class_id``
    the goal of a class the actor teaches. Returns the goal now in force for that scope."""
    with backend.transaction() as s:
        course = access.check_course(s, actor, course_key)
        if class_id is not None:
            access.check_class(s, actor, class_id, manage=True)
            if not access.class_has_course(s, class_id=class_id, course_id=course.id):
                raise InvalidInputError(
                    f"the class does not have the course {course_key!r}; add it to the class first",
                    details={"course_id": "not in the class"},
                )
            scope = GoalRow.class_id == class_id
        else:
            scope = GoalRow.user_id == actor.id
        s.execute(delete(GoalRow).where(GoalRow.course_id == course.id, scope))
        if concept_key is None:
            return None
        cid = _concept_id(s, course.id, course_key, concept_key)
        s.add(
            GoalRow(
                course_id=course.id,
                concept_id=cid,
                user_id=None if class_id is not None else actor.id,
                class_id=class_id,
                set_by=actor.id,
            )
        )
        return concept_key


def class_goal(s: Session, *, class_id: int, course_id: int) -> str | None:
    return s.scalar(
        select(ConceptRow.key)
        .join(GoalRow, GoalRow.concept_id == ConceptRow.id)
        .where(GoalRow.course_id == course_id, GoalRow.class_id == class_id)
    )
