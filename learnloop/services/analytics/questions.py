"""What students ask the tutor, grouped by concept."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from learnloop.services.access import check_course_teacher
from learnloop.services.analytics.scope import student_scope
from learnloop.storage.tables import (
    ConceptRow,
    ConversationRow,
    ItemConceptRow,
    ItemRow,
    MaterialConceptRow,
    MaterialRow,
    MessageRow,
    Role,
    User,
)

GENERAL = "general"
QUESTION_CHARS = 2000


@dataclass(frozen=True)
class TutorQuestion:
    message_id: int
    conversation_id: int
    user_id: int
    username: str
    display_name: str
    text: str
    language: str
    asked_at: datetime
    item_id: str | None
    grouped_by: str
    """``item`` (the concepts of the exercise asked about), ``citations`` (of the material
    the reply cited) or ``general``."""


@dataclass(frozen=True)
class ConceptQuestions:
    concept_id: str | None
    """``None`` for questions tied to no concept."""
    name: dict[str, str]
    questions: int
    students: int
    latest: list[TutorQuestion]
    """Newest first."""


@dataclass(frozen=True)
class TutorQuestions:
    course_id: str
    class_id: int | None
    total_questions: int
    students: int
    groups: list[ConceptQuestions]
    """Most asked first; questions tied to no concept last. A question about an exercise of
    two concepts counts under both."""


def tutor_questions(
    s: Session, actor: User, *, course_key: str, class_id: int | None = None, latest: int = 5
) -> TutorQuestions:
    course = check_course_teacher(s, actor, course_key)
    scope = student_scope(s, actor, class_id)
    # columns, not entities: a school's log has thousands of questions
    q = (
        select(
            MessageRow.id,
            MessageRow.conversation_id,
            MessageRow.content,
            MessageRow.created_at,
            ConversationRow.item_id,
            ConversationRow.language,
            User.id.label("user_id"),
            User.username,
            User.display_name,
            ItemRow.key.label("item_key"),
        )
        .join(ConversationRow, ConversationRow.id == MessageRow.conversation_id)
        .join(User, User.id == ConversationRow.user_id)
        .join(ItemRow, ItemRow.id == ConversationRow.item_id, isouter=True)
        .where(
            ConversationRow.course_id == course.id,
            MessageRow.role == "user",
            User.role == Role.STUDENT,
        )
        .order_by(MessageRow.created_at.desc(), MessageRow.id.desc())
    )
    if scope is not None:
        q = q.where(ConversationRow.user_id.in_(scope))
    asked = s.execute(q).all()
    item_concepts = _item_concept_ids(s, {m.item_id for m in asked if m.item_id})
    cited = _cited_concepts(s, course.id, [(m.id, m.conversation_id) for m in asked])
    groups: dict[int | None, list[TutorQuestion]] = defaultdict(list)
    for m in asked:
        by_item = item_concepts.get(m.item_id, []) if m.item_id else []
        by_citation = cited.get(m.id, [])
        targets: list[int | None] = list(by_item or by_citation) or [None]
        how = "item" if by_item else "citations" if by_citation else GENERAL
        question = TutorQuestion(
            message_id=m.id,
            conversation_id=m.conversation_id,
            user_id=m.user_id,
            username=m.username,
            display_name=m.display_name,
            text=m.content[:QUESTION_CHARS],
            language=m.language,
            asked_at=m.created_at,
            item_id=m.item_key,
            grouped_by=how,
        )
        for target in targets:
            groups[target].append(question)
    names: dict[int | None, tuple[str, dict[str, str]]] = {
        c.id: (c.key, dict(c.name or {}))
        for c in s.scalars(select(ConceptRow).where(ConceptRow.id.in_([k for k in groups if k])))
    }
    names[None] = ("", {})
    order = sorted(groups, key=lambda k: (k is None, -len(groups[k]), names[k][0]))
    return TutorQuestions(
        course_id=course.key,
        class_id=class_id,
        total_questions=len(asked),
        students=len({m.user_id for m in asked}),
        groups=[
            ConceptQuestions(
                concept_id=names[k][0] if k is not None else None,
                name=names[k][1],
                questions=len(groups[k]),
                students=len({q.user_id for q in groups[k]}),
                latest=groups[k][:latest],
            )
            for k in order
        ],
    )


def _item_concept_ids(s: Session, item_ids: set[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for item_id, concept_id in s.execute(
        select(ItemConceptRow.item_id, ItemConceptRow.concept_id)
        .where(ItemConceptRow.item_id.in_(item_ids))
        .order_by(ItemConceptRow.item_id, ItemConceptRow.position)
    ):
        out[item_id].append(concept_id)
    return out


def _cited_concepts(
    s: Session, course_id: int, questions: list[tuple[int, int]]
) -> dict[int, list[int]]:
    """The concepts of the materials the reply to each question (message id, conversation
    id) cited (or, if it cited none by number, was given), by the question's message id."""
    if not questions:
        return {}
    conversation_ids = {conversation_id for _, conversation_id in questions}
    replies: dict[int, list[tuple[int, list[Any]]]] = defaultdict(list)
    for reply_id, conversation_id, citations in s.execute(
        select(MessageRow.id, MessageRow.conversation_id, MessageRow.citations)
        .where(MessageRow.conversation_id.in_(conversation_ids), MessageRow.role == "assistant")
        .order_by(MessageRow.id)
    ):
        replies[conversation_id].append((reply_id, citations))
    materials: dict[str, list[int]] = defaultdict(list)
    for key, concept_id in s.execute(
        select(MaterialRow.key, MaterialConceptRow.concept_id)
        .join(MaterialConceptRow, MaterialConceptRow.material_id == MaterialRow.id)
        .where(MaterialRow.course_id == course_id)
        .order_by(MaterialRow.key, MaterialConceptRow.position)
    ):
        materials[key].append(concept_id)
    out: dict[int, list[int]] = {}
    for message_id, conversation_id in questions:
        reply = next((c for r, c in replies[conversation_id] if r > message_id), None)
        if reply is None:
            continue
        cites = [c for c in reply or [] if isinstance(c, dict) and c.get("material_id")]
        chosen = [c for c in cites if c.get("cited")] or cites
        found = [cid for c in chosen for cid in materials.get(str(c["material_id"]), [])]
        if found:
            out[message_id] = list(dict.fromkeys(found))
    return out
