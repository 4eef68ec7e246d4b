"""The class x concept mastery map."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from learnloop.services.access import check_class, check_course
from learnloop.services.progress import live_model
from learnloop.storage.tables import (
    AttemptRow,
    ConceptRow,
    Enrolment,
    ItemRow,
    MasteryRow,
    Role,
    User,
)
from learnloop.tracing import MASTERED, FittedMastery, MasteryModel, MasteryState


@dataclass(frozen=True)
class ConceptHeader:
    concept_id: str
    name: dict[str, str]


@dataclass(frozen=True)
class MatrixStudent:
    user_id: int
    username: str
    display_name: str
    attempts: int
    mastered: int
    """How many of the course's concepts the student has mastered."""


@dataclass(frozen=True)
class MasteryMatrix:
    """Students (rows) by concepts (columns). ``p_mastery`` holds the live model's prior
    where a student has not practised a concept (``seen`` is false there)."""

    class_id: int
    class_name: str
    course_id: str
    course_title: dict[str, str]
    threshold: float
    concepts: list[ConceptHeader]
    students: list[MatrixStudent]
    p_mastery: list[list[float]]
    attempts: list[list[int]]
    seen: list[list[bool]]
    concept_mean: list[float | None]
    """Mean estimate per concept over the class; ``None`` for a class without students."""
    concept_mastered: list[int]
    """How many students have mastered each concept."""
    low: list[list[float | None]]
    high: list[list[float | None]]
    """Where each estimate probably lies (``MasteryModel.interval``, as
    ``progress.course_mastery`` gives it one student at a time); ``None`` where unseen."""


def mastery_matrix(s: Session, actor: User, *, class_id: int, course_key: str) -> MasteryMatrix:
    klass = check_class(s, actor, class_id, manage=True)
    course = check_course(s, actor, course_key)
    concepts = [c for c in course.concepts if not c.retired]
    students = s.scalars(
        select(User)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.class_id == class_id, Enrolment.role == Role.STUDENT)
        .order_by(User.username)
    ).all()
    ids = [st.id for st in students]
    rows = s.execute(
        select(
            MasteryRow.user_id,
            MasteryRow.concept_id,
            MasteryRow.p_mastery,
            MasteryRow.attempts,
            MasteryRow.state,
        )
        .join(ConceptRow, ConceptRow.id == MasteryRow.concept_id)
        .where(MasteryRow.user_id.in_(ids), ConceptRow.course_id == course.id)
    ).all()
    known = {(uid, cid): (p, n, state) for uid, cid, p, n, state in rows}
    attempts = dict(
        s.execute(
            select(AttemptRow.user_id, func.count())
            .join(ItemRow, ItemRow.id == AttemptRow.item_id)
            .where(AttemptRow.user_id.in_(ids), ItemRow.course_id == course.id)
            .group_by(AttemptRow.user_id)
        ).all()
    )
    model = live_model(s)
    if isinstance(model, FittedMastery):
        # the model of this moment, looked up once rather than for each of thousands of cells
        model = model.current()
    priors = [model.p_mastery(model.initial_state(str(c.id))) for c in concepts]
    p: list[list[float]] = []
    n: list[list[int]] = []
    seen: list[list[bool]] = []
    low: list[list[float | None]] = []
    high: list[list[float | None]] = []
    for st in students:
        cells = [known.get((st.id, c.id)) for c in concepts]
        pairs = zip(cells, priors, strict=True)
        p.append([round(x[0] if x else prior, 4) for x, prior in pairs])
        n.append([x[1] if x else 0 for x in cells])
        seen.append([x is not None for x in cells])
        spans = [
            _interval(model, c.id, x[0], x[2]) if x and x[1] > 0 else None
            for c, x in zip(concepts, cells, strict=True)
        ]
        low.append([span[0] if span else None for span in spans])
        high.append([span[1] if span else None for span in spans])
    columns = list(zip(*p, strict=True)) if p else [() for _ in concepts]
    return MasteryMatrix(
        class_id=klass.id,
        class_name=klass.name,
        course_id=course.key,
        course_title=dict(course.title or {}),
        threshold=MASTERED,
        concepts=[ConceptHeader(c.key, dict(c.name or {})) for c in concepts],
        students=[
            MatrixStudent(
                user_id=st.id,
                username=st.username,
                display_name=st.display_name,
                attempts=attempts.get(st.id, 0),
                mastered=sum(x >= MASTERED for x in row),
            )
            for st, row in zip(students, p, strict=True)
        ],
        p_mastery=p,
        attempts=n,
        seen=seen,
        concept_mean=[round(sum(col) / len(col), 4) if col else None for col in columns],
        concept_mastered=[sum(x >= MASTERED for x in col) for col in columns],
        low=low,
        high=high,
    )


def _interval(
    model: MasteryModel, concept_id: int, p: float, state: MasteryState
) -> tuple[float, float]:
    """The range ``progress.course_mastery`` gives a practised concept."""
    lo, hi = model.interval({**state, "concept": str(concept_id)})
    return round(min(lo, p), 4), round(max(hi, p), 4)
