"""What a student does next, their path to a goal, and the course pages that address a mistake:
the recommender (``learnloop.recommend``) on the live database.

The student's state is read in three indexed queries (mastery rows with the forgetting
model's memory, answers per item, the last few answers) and the course from ``content``'s
cache, so a choice costs a few milliseconds even for a student with thousands of answers
(``bench/policies.py --latency``). Reads only: nothing here writes, except goals.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, case, func, select
from sqlalchemy.orm import Session

from learnloop.domain import pick
from learnloop.errors import InvalidInputError, NotFoundError
from learnloop.recommend import (
    POLICIES,
    ConceptState,
    ItemHistory,
    Kind,
    LastAnswer,
    LearnerState,
    Reason,
    Suggestion,
    explain,
    learning_path,
    make_policy,
)
from learnloop.recommend.forgetting import ForgettingModel
from learnloop.services import access
from learnloop.services.content import CourseContent, CourseVersion, course_content
from learnloop.services.context import Backend
from learnloop.services.goals import goal_and_source, goal_of
from learnloop.services.graders import active_model
from learnloop.services.progress import forgetting_for, live_model
from learnloop.settings import Settings
from learnloop.storage.tables import (
    AttemptRow,
    GradeRow,
    ItemRow,
    MasteryRow,
    User,
    utcnow,
)
from learnloop.tracing import MASTERED, BKTMastery, FittedMastery, MasteryModel
from learnloop.tracing.priors import load_priors

RECENT = 12
"""Answers read back to find streaks of mistakes and the items just practised."""


@dataclass(frozen=True)
class MaterialRef:
    material_id: str
    title: str
    section: str
    anchor: str
    href: str


@dataclass(frozen=True)
class Activity:
    """What to do next, and why, in the student's language."""

    course_id: str
    kind: str
    """``item``, ``review`` (an item that brings back a fading concept), ``material`` (read
    ``material``, then answer ``item_id``) or ``done``."""
    reason: str
    explanation: str
    policy: str
    concept_id: str | None = None
    concept_name: str | None = None
    item_id: str | None = None
    p_correct: float | None = None
    next_review_at: datetime | None = None
    due_reviews: list[str] = field(default_factory=list)
    """Concepts due for review now (keys), most faded first."""
    goal: str | None = None
    material: list[MaterialRef] = field(default_factory=list)


def _names(content: CourseContent, lang: str) -> dict[str, str]:
    return {key: pick(name, lang) for key, name in content.names.items()}


_MASTERY = select(
    MasteryRow.concept_id,
    MasteryRow.p_mastery,
    MasteryRow.attempts,
    MasteryRow.memory,
).where(
    MasteryRow.user_id == bindparam("user_id"),
    MasteryRow.concept_id.in_(bindparam("concept_ids", expanding=True)),
)
_PER_ITEM = (
    select(
        AttemptRow.item_id,
        func.count(),
        func.sum(case((GradeRow.verdict == "correct", 1), else_=0)),
    )
    .join(ItemRow, ItemRow.id == AttemptRow.item_id)
    .outerjoin(GradeRow, GradeRow.attempt_id == AttemptRow.id)
    .where(AttemptRow.user_id == bindparam("user_id"), ItemRow.course_id == bindparam("course_id"))
    .group_by(AttemptRow.item_id)
)
_PER_ITEM_SINCE = _PER_ITEM.where(AttemptRow.id > bindparam("after"))
_LAST_GRADE_UPTO = (
    select(func.max(GradeRow.id))
    .join(AttemptRow, AttemptRow.id == GradeRow.attempt_id)
    .where(AttemptRow.user_id == bindparam("user_id"), AttemptRow.id <= bindparam("upto"))
)


@dataclass
class _Counts:
    """A student's answers and right answers per item of a course, as of attempt ``upto``
    and the newest grade ``grade`` of those attempts."""

    upto: int
    grade: int
    counts: dict[int, tuple[int, int]]
    items: dict[str, ItemHistory]
    """``counts`` as the policies read them, by the current items' keys."""


_counts_lock = threading.Lock()
_counts: weakref.WeakKeyDictionary[Engine, OrderedDict[tuple[int, int, datetime], _Counts]] = (
    weakref.WeakKeyDictionary()
)
COUNTS_CACHED = 4096
"""Students x courses whose answer counts a process keeps (a few KB each)."""


def _item_history(
    s: Session, *, user_id: int, content: CourseContent, newest: int
) -> dict[str, ItemHistory]:
    """Answers and right answers per item: kept per process and brought up to date with
    the answers since (the answer counts of a student with thousands of answers are most of
    the cost of a choice otherwise); read afresh when an older answer was graded again (a
    teacher's review)."""
    conn = s.connection()
    engine = s.get_bind()
    assert isinstance(engine, Engine)
    key = (user_id, content.course_id, content.updated_at)
    with _counts_lock:
        cache = _counts.setdefault(engine, OrderedDict())
        hit = cache.get(key)
    params = {"user_id": user_id, "course_id": content.course_id}
    if hit is not None:
        regraded = conn.scalar(_LAST_GRADE_UPTO, {"user_id": user_id, "upto": hit.upto}) or 0
        if regraded != hit.grade:
            hit = None
    if hit is not None and hit.upto == newest:
        return hit.items
    if hit is None:
        rows = conn.execute(_PER_ITEM, params)
        counts: dict[int, tuple[int, int]] = {}
    else:
        rows = conn.execute(_PER_ITEM_SINCE, {**params, "after": hit.upto})
        counts = dict(hit.counts)
    for item_id, n, ok in rows:
        before = counts.get(item_id, (0, 0))
        counts[item_id] = (before[0] + int(n), before[1] + int(ok or 0))
    grade = conn.scalar(_LAST_GRADE_UPTO, {"user_id": user_id, "upto": newest}) or 0
    key_by_id = content.key_by_id
    items = {
        key_by_id[iid]: ItemHistory(answered=n, correct=ok)
        for iid, (n, ok) in counts.items()
        if iid in key_by_id
    }
    with _counts_lock:
        cache[key] = _Counts(upto=newest, grade=grade, counts=counts, items=items)
        cache.move_to_end(key)
        while len(cache) > COUNTS_CACHED:
            cache.popitem(last=False)
    return items


_RECENT = (
    select(AttemptRow.id, AttemptRow.item_id)
    .join(ItemRow, ItemRow.id == AttemptRow.item_id)
    .where(AttemptRow.user_id == bindparam("user_id"), ItemRow.course_id == bindparam("course_id"))
    .order_by(AttemptRow.id.desc())
    .limit(RECENT)
)


def _expected(model: MasteryModel) -> Callable[[int, float], float]:
    """The live model's probability of a right answer on a typical item of a concept, from
    P(mastered): BKT's own guess and slip for the concept; for other models, the
    shipped priors' guess and slip."""
    if isinstance(model, BKTMastery):
        params = model.model.params_of
        table: dict[int, tuple[float, float]] = {}

        def bkt(concept_id: int, p: float) -> float:
            gs = table.get(concept_id)
            if gs is None:
                prm = params(str(concept_id))
                gs = table[concept_id] = (prm["guess"], prm["slip"])
            return p * (1 - gs[1]) + (1 - p) * gs[0]

        return bkt
    prior = load_priors().params
    guess, slip = prior["guess"], prior["slip"]
    return lambda _, p: p * (1 - slip) + (1 - p) * guess


_expected_lock = threading.Lock()
_expected_of: weakref.WeakKeyDictionary[MasteryModel, Callable[[int, float], float]] = (
    weakref.WeakKeyDictionary()
)


def _expected_for(model: MasteryModel) -> Callable[[int, float], float]:
    """``_expected`` kept per loaded model, so its per-concept table is built once."""
    with _expected_lock:
        found = _expected_of.get(model)
        if found is None:
            found = _expected_of[model] = _expected(model)
    return found


def mistake_text(feedback: str, details: Mapping[str, Any] | None) -> str:
    """What was wrong, in words: the feedback (a choice's misconception) and the reference
    points the answer missed."""
    parts = [feedback.strip()] if feedback else []
    for key in ("missed", "missing"):
        value = (details or {}).get(key)
        if isinstance(value, list):
            parts += [str(v) for v in value if isinstance(v, str)]
    return " ".join(parts)[:600]


def learner_state(
    s: Session,
    *,
    user_id: int,
    content: CourseContent,
    now: datetime,
    forgetting: ForgettingModel,
    review_recall: float,
    goal: str | None = None,
) -> LearnerState:
    conn = s.connection()
    key_of = dict(content.concepts)
    item_key = content.key_by_id
    rows = {
        cid: (p, n, memory)
        for cid, p, n, memory in conn.execute(
            _MASTERY, {"user_id": user_id, "concept_ids": list(key_of)}
        )
    }
    live = _current(s)
    expected = _expected_for(live)
    recent_ids = [
        (aid, iid)
        for aid, iid in conn.execute(_RECENT, {"user_id": user_id, "course_id": content.course_id})
    ]
    items = _item_history(
        s, user_id=user_id, content=content, newest=recent_ids[0][0] if recent_ids else 0
    )
    grades = {}
    if recent_ids:
        latest = (
            select(
                GradeRow.attempt_id,
                GradeRow.verdict,
                GradeRow.feedback,
                GradeRow.provisional,
                GradeRow.details,
            )
            .where(GradeRow.attempt_id.in_([aid for aid, _ in recent_ids]))
            .order_by(GradeRow.attempt_id, GradeRow.id)
        )
        for aid, verdict, feedback, provisional, details in conn.execute(latest):
            grades[aid] = (verdict, feedback, provisional, details)  # the latest wins
    recent: list[str] = []
    streak: dict[str, int] = {}
    closed: set[str] = set()
    last: LastAnswer | None = None
    for aid, iid in recent_ids:
        key = item_key.get(iid)
        if key is None:
            continue
        recent.append(key)
        verdict, feedback, provisional, details = grades.get(aid, (None, "", True, None))
        if last is None:
            graded = verdict is not None and not provisional
            last = LastAnswer(
                item=key,
                verdict="correct"
                if verdict == "correct"
                else (
                    "pending"
                    if not graded
                    else "incorrect"
                    if verdict == "incorrect"
                    else "partial"
                ),
                mistake=mistake_text(feedback, details) if graded and verdict != "correct" else "",
            )
        if verdict is None or provisional:
            continue
        for _, ckey in content.items[key].concepts:
            if ckey in closed:
                continue
            if verdict == "correct":
                closed.add(ckey)
            else:
                streak[ckey] = streak.get(ckey, 0) + 1
    concepts: dict[str, ConceptState] = {}
    for cid, key in content.concepts:
        row = rows.get(cid)
        if row is None:
            p = live.p_mastery(live.initial_state(str(cid)))
            concepts[key] = ConceptState(p_mastery=p, p_correct=expected(cid, p))
            continue
        p, n, memory = row
        memory = memory or {}
        once = bool(memory.get("once")) or p >= MASTERED
        recall, due = (
            forgetting.recall_and_due(memory, now, review_recall) if once else (None, None)
        )
        concepts[key] = ConceptState(
            p_mastery=p,
            attempts=n,
            p_correct=expected(cid, p),
            # only what was once mastered can be forgotten and reviewed
            recall=recall,
            due=due,
            wrong_streak=streak.get(key, 0),
            peak=float(memory.get("peak", p)),
            once_mastered=once,
        )
    ungraded: frozenset[str] = frozenset()
    if content.free_text and active_model(s, course_id=content.course_id) is None:
        ungraded = content.free_text
    return LearnerState(
        now=now,
        concepts=concepts,
        items=items,
        last=last,
        recent_items=tuple(recent),
        goal=goal,
        ungraded=ungraded,
        mastered_at=MASTERED,
    )


def policy_name(settings: Settings, content: CourseContent, override: str | None = None) -> str:
    return str(override or content.settings.get("policy") or settings.recommend_policy)


def _policy(settings: Settings, name: str) -> Any:
    if name == "adaptive":
        return make_policy(
            name, target=settings.recommend_target, review_recall=settings.review_recall
        )
    return make_policy(name)


def next_in(
    s: Session,
    *,
    settings: Settings,
    user: User,
    course: CourseVersion,
    lang: str = "en",
    policy: str | None = None,
    now: datetime | None = None,
) -> Activity:
    """The next activity for ``user`` (already allowed to open ``course``)."""
    content = course_content(s, course)
    name = policy_name(settings, content, policy)
    goal = goal_of(s, user_id=user.id, course_id=course.id)
    learner = learner_state(
        s,
        user_id=user.id,
        content=content,
        now=now or utcnow(),
        forgetting=forgetting_for(settings),
        review_recall=settings.review_recall,
        goal=goal,
    )
    chosen: Suggestion = _policy(settings, name).choose(content.model, learner)
    due = [
        c
        for c, st in learner.concepts.items()
        if st.recall is not None and st.recall < settings.review_recall and st.once_mastered
    ]
    names = _names(content, lang)
    return Activity(
        course_id=course.key,
        kind=chosen.kind.value,
        reason=chosen.reason.value,
        explanation=explain(chosen, lang, names),
        policy=name,
        concept_id=chosen.concept,
        concept_name=names.get(chosen.concept) if chosen.concept else None,
        item_id=chosen.item,
        p_correct=chosen.p_correct,
        next_review_at=chosen.next_review,
        due_reviews=sorted(due, key=lambda c: learner.concepts[c].recall or 0.0),
        goal=goal,
    )


def next_activity(
    backend: Backend,
    user: User,
    course_key: str,
    *,
    lang: str = "en",
    policy: str | None = None,
    with_material: bool = True,
) -> Activity:
    """``GET /api/v1/next/{course}``: what ``user`` should do next in the course, and why.
    A ``material`` activity names the course pages that address the student's mistake."""
    if policy is not None and policy not in POLICIES:
        raise InvalidInputError(
            f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}",
            details={"policy": "unknown"},
        )
    with backend.transaction() as s:
        course = access.check_course_ref(s, user, course_key)
        act = next_in(
            s, settings=backend.settings, user=user, course=course, lang=lang, policy=policy
        )
    if with_material and act.kind == Kind.MATERIAL.value and act.concept_id:
        from learnloop.services.remediation import sections_for_concept

        found = sections_for_concept(backend, user, course_key, act.concept_id, lang=lang)
        act = Activity(**{**vars(act), "material": found})
    return act


# --- learning paths ----------------------------------------------------------------------


@dataclass(frozen=True)
class PathStepView:
    concept_id: str
    name: str
    p_mastery: float
    started: bool
    ready: bool
    answers: int


@dataclass(frozen=True)
class LearningPath:
    course_id: str
    goal: str | None
    goal_name: str | None
    goal_source: str | None
    """``own`` (the student set it), ``class`` (a teacher, for the class), ``asked`` (given
    with the request) or ``None``."""
    steps: list[PathStepView]
    answers: int
    """All steps together."""
    due_reviews: list[str]


def _current(s: Session) -> MasteryModel:
    """The live model itself (not the wrapper that re-reads its folder)."""
    live = live_model(s)
    return live.current() if isinstance(live, FittedMastery) else live


def _path_params(s: Session, content: CourseContent) -> dict[str, dict[str, float]]:
    """Each concept's BKT learning rate, guess and slip under the live model (the shipped
    priors' for models other than BKT), for the path's estimates."""
    live = _current(s)
    keep = ("learn", "guess", "slip")
    if isinstance(live, BKTMastery):
        of = live.model.params_of
        return {
            key: {k: float(v) for k, v in of(str(cid)).items() if k in keep}
            for cid, key in content.concepts
        }
    prior = {k: float(v) for k, v in load_priors().params.items() if k in keep}
    return {key: prior for _, key in content.concepts}


def path_in(
    s: Session,
    *,
    settings: Settings,
    user: User,
    course: CourseVersion,
    goal: str | None = None,
    lang: str = "en",
) -> LearningPath:
    content = course_content(s, course)
    source: str | None = "asked"
    if goal is None:
        goal, source = goal_and_source(s, user_id=user.id, course_id=course.id)
    if goal is not None and goal not in content.graph:
        raise NotFoundError(
            f"no concept {goal!r} in course {course.key!r}", details={"goal": "unknown concept"}
        )
    learner = learner_state(
        s,
        user_id=user.id,
        content=content,
        now=utcnow(),
        forgetting=forgetting_for(settings),
        review_recall=settings.review_recall,
        goal=goal,
    )
    names = _names(content, lang)
    steps = []
    if goal is not None:
        steps = [
            PathStepView(
                concept_id=st.concept,
                name=names.get(st.concept, st.concept),
                p_mastery=round(st.p_mastery, 4),
                started=st.started,
                ready=st.ready,
                answers=st.answers,
            )
            for st in learning_path(content.model, learner, goal, params=_path_params(s, content))
        ]
    due = sorted(
        (
            c
            for c, st in learner.concepts.items()
            if st.recall is not None and st.recall < settings.review_recall and st.once_mastered
        ),
        key=lambda c: learner.concepts[c].recall or 0.0,
    )
    return LearningPath(
        course_id=course.key,
        goal=goal,
        goal_name=names.get(goal) if goal else None,
        goal_source=source,
        steps=steps,
        answers=sum(st.answers for st in steps),
        due_reviews=due,
    )


def learning_path_for(
    backend: Backend, user: User, course_key: str, *, goal: str | None = None, lang: str = "en"
) -> LearningPath:
    """``GET /api/v1/path/{course}``: the path to ``goal`` (default: the student's or their
    class's goal), recomputed from the current estimates on every call."""
    with backend.transaction() as s:
        course = access.check_course_ref(s, user, course_key)
        return path_in(s, settings=backend.settings, user=user, course=course, goal=goal, lang=lang)


__all__ = [
    "Activity",
    "LearningPath",
    "MaterialRef",
    "PathStepView",
    "Reason",
    "goal_of",
    "learner_state",
    "learning_path_for",
    "next_activity",
    "next_in",
    "path_in",
]
