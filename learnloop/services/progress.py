"""Mastery updates and what a student or a class has achieved so far."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from learnloop.recommend.forgetting import ForgettingModel, Memory, live_forgetting
from learnloop.services.context import settings_of
from learnloop.settings import Settings
from learnloop.storage.tables import (
    AttemptRow,
    ConceptRow,
    CourseRow,
    Enrolment,
    GradeRow,
    ItemConceptRow,
    ItemRow,
    MasteryRow,
    Role,
    User,
    utcnow,
)
from learnloop.tracing import MASTERED, FittedMastery, MasteryModel, MasteryState


def live_model(s: Session) -> MasteryModel:
    """The live student model of the platform ``s`` belongs to: the one ``learnloop kt fit``
    (or the background re-fit) saved in its data folder (``LEARNLOOP_TRACING_MODEL``, ``bkt``
    by default), and a BKT with the shipped priors until there is one."""
    settings = settings_of(s)
    return _fitted(settings.tracing_model, settings.data_dir)


@cache
def _fitted(model: str, data_dir: Path) -> FittedMastery:
    return FittedMastery(model, data_dir=data_dir)


def forgetting_for(settings: Settings) -> ForgettingModel:
    """The live forgetting model: the one fitted to the platform's log in the data folder,
    else ``LEARNLOOP_FORGETTING_MODEL`` with its defaults."""
    return live_forgetting(settings.data_dir, settings.forgetting_model)


@dataclass(frozen=True)
class ConceptMastery:
    concept_id: str
    name: dict[str, str]
    p_mastery: float
    confidence: float
    attempts: int
    mastered: bool
    started: bool
    """Answered at least once; a concept never practised shows "not started", not a number."""
    low: float
    high: float
    """A plausible range around ``p_mastery`` (``MasteryModel.interval``), narrowing with
    every answer."""


def item_concepts(s: Session, item_id: int) -> list[tuple[int, str]]:
    """(id, key) of each concept the item practises, in the order the course pack lists them."""
    rows = s.execute(
        select(ConceptRow.id, ConceptRow.key)
        .join(ItemConceptRow, ItemConceptRow.concept_id == ConceptRow.id)
        .where(ItemConceptRow.item_id == item_id)
        .order_by(ItemConceptRow.position)
    )
    return [(cid, key) for cid, key in rows]


def concept_keys_of_item(s: Session, item_id: int) -> list[str]:
    return [key for _, key in item_concepts(s, item_id)]


# The answer loop runs these on every answer; they are built once because building a
# statement costs more than running it.
_MASTERY_ROWS = select(
    MasteryRow.concept_id,
    MasteryRow.state,
    MasteryRow.attempts,
    MasteryRow.p_mastery,
    MasteryRow.memory,
).where(
    MasteryRow.user_id == bindparam("user_id"),
    or_(
        MasteryRow.concept_id.in_(bindparam("concept_ids", expanding=True)),
        MasteryRow.p_mastery >= MASTERED,
    ),
)
_MASTERED_IDS = select(MasteryRow.concept_id).where(
    MasteryRow.user_id == bindparam("user_id"), MasteryRow.p_mastery >= MASTERED
)
_UPDATE_MASTERY = (
    update(MasteryRow)
    .where(
        MasteryRow.user_id == bindparam("b_user_id"),
        MasteryRow.concept_id == bindparam("b_concept_id"),
        MasteryRow.attempts == bindparam("b_seen"),
    )
    .values(
        state=bindparam("b_state"),
        p_mastery=bindparam("b_p"),
        confidence=bindparam("b_confidence"),
        attempts=bindparam("b_attempts"),
        model=bindparam("b_model"),
        memory=bindparam("b_memory"),
        updated_at=bindparam("b_now"),
    )
)
_INSERT_MASTERY = insert(MasteryRow)


@dataclass(frozen=True)
class MasteryChange:
    """A concept's new estimate, computed from the row as it was read."""

    concept_id: int
    seen_attempts: int | None
    """The row's ``attempts`` when read; ``None`` if the student had no row yet."""
    state: MasteryState
    p_mastery: float
    confidence: float
    memory: Memory
    """The forgetting model's memory of the concept after this answer."""


@dataclass(frozen=True)
class MasteryPlan:
    changes: list[MasteryChange]
    mastered: set[int]
    """The concepts the student has mastered once the changes are stored."""


class LostRace(Exception):
    """Another request wrote first: another answer of the same student moved a mastery
    estimate, or a retry of the same answer graded it. Read again. Internal to the answer
    loop, which retries; never reaches a user."""


def plan_mastery(
    s: Session,
    *,
    user_id: int,
    concept_ids: list[int],
    score: float,
    forgetting: ForgettingModel,
    at: datetime | None = None,
) -> MasteryPlan:
    """What one graded answer (given at ``at``, default now) does to each concept's estimate
    and to the forgetting model's memory of it, and which concepts are mastered then; one
    read, no write."""
    at = at or utcnow()
    seen = {}
    mastered = set()
    for cid, state, attempts, p_mastery, memory in s.connection().execute(
        _MASTERY_ROWS, {"user_id": user_id, "concept_ids": concept_ids}
    ):
        seen[cid] = (state, attempts, memory or {})
        if p_mastery >= MASTERED:
            mastered.add(cid)
    changes = []
    model = live_model(s)
    for concept_id in concept_ids:
        state, attempts, memory = seen.get(concept_id, (None, None, {}))
        # the concept goes into the state: models fitted per concept use its own parameters
        start = {**state, "concept": str(concept_id)} if state else None
        new = model.update(start or model.initial_state(str(concept_id)), score)
        p = model.p_mastery(new)
        changes.append(
            MasteryChange(
                concept_id=concept_id,
                seen_attempts=attempts,
                state=new,
                p_mastery=p,
                confidence=model.confidence(new),
                memory=forgetting.update(memory, score, at, p_mastery=p, mastered=MASTERED),
            )
        )
        if changes[-1].p_mastery >= MASTERED:
            mastered.add(concept_id)
        else:
            mastered.discard(concept_id)
    return MasteryPlan(changes=changes, mastered=mastered)


def record_mastery(s: Session, *, user_id: int, changes: list[MasteryChange]) -> None:
    """Store planned changes, each only if its row is still as it was read (optimistic
    locking on ``attempts``); raises ``LostRace`` otherwise."""
    s.flush()  # pending writes of the caller first, so an error here is about mastery
    conn = s.connection()
    now = utcnow()
    name = live_model(s).name
    for ch in changes:
        if ch.seen_attempts is None:
            try:  # the caller's transaction is spoilt then; it rolls back and retries
                conn.execute(
                    _INSERT_MASTERY,
                    {
                        "user_id": user_id,
                        "concept_id": ch.concept_id,
                        "state": ch.state,
                        "p_mastery": ch.p_mastery,
                        "confidence": ch.confidence,
                        "attempts": 1,
                        "model": name,
                        "memory": ch.memory,
                        "updated_at": now,
                    },
                )
            except IntegrityError as exc:
                raise LostRace from exc
            continue
        done = conn.execute(
            _UPDATE_MASTERY,
            {
                "b_user_id": user_id,
                "b_concept_id": ch.concept_id,
                "b_seen": ch.seen_attempts,
                "b_state": ch.state,
                "b_p": ch.p_mastery,
                "b_confidence": ch.confidence,
                "b_attempts": ch.seen_attempts + 1,
                "b_model": name,
                "b_memory": ch.memory,
                "b_now": now,
            },
        )
        if done.rowcount != 1:
            raise LostRace


def update_mastery(
    s: Session,
    *,
    user_id: int,
    item_id: int,
    score: float,
    forgetting: ForgettingModel,
    at: datetime | None = None,
) -> dict[int, float]:
    """One graded answer moves the estimate of every concept the item practises. Returns the
    new estimates by concept id."""
    concept_ids = [cid for cid, _ in item_concepts(s, item_id)]
    changes = plan_mastery(
        s, user_id=user_id, concept_ids=concept_ids, score=score, forgetting=forgetting, at=at
    ).changes
    record_mastery(s, user_id=user_id, changes=changes)
    return {ch.concept_id: ch.p_mastery for ch in changes}


def prior_mastery(s: Session, concept_id: int) -> float:
    """The live model's estimate for a concept the student has not practised yet."""
    model = live_model(s)
    return model.p_mastery(model.initial_state(str(concept_id)))


def mastered_concept_ids(s: Session, *, user_id: int) -> set[int]:
    return set(s.connection().scalars(_MASTERED_IDS, {"user_id": user_id}))


def mastery_for_item(s: Session, *, user_id: int, item_id: int) -> dict[str, float]:
    rows = s.execute(
        select(ConceptRow.key, MasteryRow.p_mastery, ConceptRow.id)
        .join(ItemConceptRow, ItemConceptRow.concept_id == ConceptRow.id)
        .join(
            MasteryRow,
            (MasteryRow.concept_id == ConceptRow.id) & (MasteryRow.user_id == user_id),
            isouter=True,
        )
        .where(ItemConceptRow.item_id == item_id)
    ).all()
    return {key: (p if p is not None else prior_mastery(s, cid)) for key, p, cid in rows}


def course_mastery(s: Session, *, user_id: int, course: CourseRow) -> list[ConceptMastery]:
    """Every current concept of the course with the student's estimate (the prior if unseen)."""
    rows = s.execute(
        select(ConceptRow, MasteryRow)
        .join(
            MasteryRow,
            (MasteryRow.concept_id == ConceptRow.id) & (MasteryRow.user_id == user_id),
            isouter=True,
        )
        .where(ConceptRow.course_id == course.id, ConceptRow.retired.is_(False))
        .order_by(ConceptRow.position)
    ).all()
    out = []
    model = live_model(s)
    for c, m in rows:
        state = {**m.state, "concept": str(c.id)} if m else model.initial_state(str(c.id))
        p = m.p_mastery if m else model.p_mastery(state)
        low, high = model.interval(state) if m else (0.0, 1.0)
        out.append(
            ConceptMastery(
                concept_id=c.key,
                name=c.name,
                p_mastery=p,
                confidence=m.confidence if m else 0.0,
                attempts=m.attempts if m else 0,
                mastered=bool(m and m.p_mastery >= MASTERED),
                started=bool(m and m.attempts > 0),
                low=round(min(low, p), 4),
                high=round(max(high, p), 4),
            )
        )
    return out


@dataclass(frozen=True)
class AttemptView:
    id: int
    user_id: int
    course_id: str
    item_id: str
    response: object
    submitted_at: datetime
    verdict: str | None
    score: float | None
    feedback: str
    provisional: bool


def list_attempts(
    s: Session, *, user_ids: set[int] | None, course: CourseRow | None, limit: int, offset: int
) -> list[AttemptView]:
    latest = (
        select(GradeRow.attempt_id, func.max(GradeRow.id).label("gid"))
        .group_by(GradeRow.attempt_id)
        .subquery()
    )
    q = (
        select(AttemptRow, ItemRow.key, CourseRow.key, GradeRow)
        .join(ItemRow, ItemRow.id == AttemptRow.item_id)
        .join(CourseRow, CourseRow.id == ItemRow.course_id)
        .join(latest, latest.c.attempt_id == AttemptRow.id, isouter=True)
        .join(GradeRow, GradeRow.id == latest.c.gid, isouter=True)
        .order_by(AttemptRow.id)
        .limit(limit)
        .offset(offset)
    )
    if user_ids is not None:
        q = q.where(AttemptRow.user_id.in_(user_ids))
    if course is not None:
        q = q.where(ItemRow.course_id == course.id)
    return [
        AttemptView(
            id=a.id,
            user_id=a.user_id,
            course_id=ckey,
            item_id=ikey,
            response=a.response.get("value"),
            submitted_at=a.submitted_at,
            verdict=g.verdict if g else None,
            score=g.score if g else None,
            feedback=g.feedback if g else "",
            provisional=g.provisional if g else False,
        )
        for a, ikey, ckey, g in s.execute(q).all()
    ]


@dataclass(frozen=True)
class CourseProgress:
    course_id: str
    concepts: int
    concepts_mastered: int
    items: int
    items_attempted: int
    items_correct: int
    attempts: int


def course_progress(s: Session, *, user_id: int, course: CourseRow) -> CourseProgress:
    mastery = course_mastery(s, user_id=user_id, course=course)
    items = (
        s.scalar(
            select(func.count())
            .select_from(ItemRow)
            .where(ItemRow.course_id == course.id, ItemRow.retired.is_(False))
        )
        or 0
    )
    base = (
        select(AttemptRow.item_id)
        .join(ItemRow, ItemRow.id == AttemptRow.item_id)
        .where(AttemptRow.user_id == user_id, ItemRow.course_id == course.id)
    )
    attempted = set(s.scalars(base))
    correct = set(
        s.scalars(
            base.join(GradeRow, GradeRow.attempt_id == AttemptRow.id).where(
                GradeRow.verdict == "correct"
            )
        )
    )
    attempts = s.scalar(select(func.count()).select_from(base.subquery())) or 0
    return CourseProgress(
        course_id=course.key,
        concepts=len(mastery),
        concepts_mastered=sum(m.mastered for m in mastery),
        items=items,
        items_attempted=len(attempted),
        items_correct=len(correct),
        attempts=attempts,
    )


@dataclass(frozen=True)
class StudentRow:
    user_id: int
    username: str
    display_name: str
    mastery: dict[str, float]
    attempts: int


def class_overview(s: Session, *, class_id: int, course: CourseRow) -> list[StudentRow]:
    """Each student of the class with mastery per concept of ``course``."""
    students = s.scalars(
        select(User)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.class_id == class_id, Enrolment.role == Role.STUDENT)
        .order_by(User.username)
    ).all()
    out = []
    for st in students:
        m = course_mastery(s, user_id=st.id, course=course)
        n = (
            s.scalar(
                select(func.count())
                .select_from(AttemptRow)
                .join(ItemRow, ItemRow.id == AttemptRow.item_id)
                .where(AttemptRow.user_id == st.id, ItemRow.course_id == course.id)
            )
            or 0
        )
        out.append(
            StudentRow(
                user_id=st.id,
                username=st.username,
                display_name=st.display_name,
                mastery={x.concept_id: round(x.p_mastery, 4) for x in m},
                attempts=n,
            )
        )
    return out
