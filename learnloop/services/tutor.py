"""The tutor's use case: one turn of a conversation, from a student's message to a stored,
checked, cited reply, streamed as events.

::

    Tutor.stream(user, TutorRequest) -> Iterator[TutorEvent]
      1. store the student's message; gather what the tutor may know (one transaction):
         the exercise as the student sees it, their mastery of its concepts and prerequisites,
         recent mistakes, the best course passages, their style (from their ratings)
      2. "meta" event: conversation, language, mode, passages, whether a model generates
      3. "token" events: an authored hint, the model's reply through the leak guard, or the
         best passages when no model can generate
      4. "notice" events: an answer withheld, arithmetic corrected, generation off
      5. store the reply; "done" event with its id, text and citations

Rules that do not trust the model live in ``learnloop.tutor.guard`` (answers of unfinished
items) and ``learnloop.tutor.checks`` (arithmetic); both run here on every reply.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from learnloop.domain import pick
from learnloop.domain.course import Item
from learnloop.errors import InvalidInputError, LearnloopError, NotFoundError
from learnloop.services.access import check_course_ref
from learnloop.services.analytics.scope import CURRENT_GRADE
from learnloop.services.content import CourseContent, ItemContent, course_content
from learnloop.services.context import Backend
from learnloop.services.progress import prior_mastery
from learnloop.services.retrieval import search_course
from learnloop.storage.tables import (
    AttemptRow,
    ConceptRow,
    ConversationRow,
    CourseRow,
    GradeRow,
    ItemRow,
    MasteryRow,
    MaterialConceptRow,
    MaterialRow,
    MessageRow,
    RatingRow,
    User,
)
from learnloop.tutor.chat import ChatMessage, ChatModel
from learnloop.tutor.checks import correction_note, wrong_equations
from learnloop.tutor.guard import LeakCheck, StreamGuard, redact, student_view
from learnloop.tutor.prompts import (
    MODES,
    ConceptState,
    Mistake,
    Passage,
    PromptContext,
    build_messages,
    passages_only,
)
from learnloop.tutor.style import REASONS, Rating, TutorStyle, style_from_ratings

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4000
GENERATED_HINTS = 3
"""Generated hints after the course's own, before the tutor asks the student to try."""
HISTORY_TURNS = 6
PASSAGES = 3
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CITATION = re.compile(r"\[(\d{1,2})\]")

TEXTS = {
    "en": {
        "withheld": (
            "I stopped there: the rest would have given away the answer to this exercise, "
            "which you have not finished yet. Try the next step yourself, or ask for a hint."
        ),
        "no_more_hints": (
            "That was the last hint I can give for this exercise. Have a go at answering; "
            "if it is wrong, the feedback will show what to look at next."
        ),
        "off": "Text generation is off",
        "failed": "The tutor's model could not answer",
    },
    "zh": {
        "withheld": "我先停在这里：再说下去就会透露这道题的答案，而你还没有完成它。"
        "试着自己做下一步，或者请求提示。",
        "no_more_hints": "这道题的提示已经全部给出了。先试着作答吧；"
        "如果答错了，反馈会告诉你接下来该看什么。",
        "off": "文本生成已关闭",
        "failed": "导师模型暂时无法回答",
    },
}


def detect_language(text: str, fallback: str) -> str:
    """Chinese if the message has Chinese characters, else ``fallback``."""
    return "zh" if _CJK.search(text) else fallback


@dataclass(frozen=True)
class TutorRequest:
    course_key: str
    message: str = ""
    mode: str = "answer"
    item_key: str | None = None
    """The exercise the student is on, for hints, examples and questions about it."""
    concept_key: str | None = None
    """The concept to explain or check."""
    language: str | None = None
    """``en`` or ``zh``; by default the message's language, else the conversation's."""
    conversation_id: int | None = None


@dataclass(frozen=True)
class TutorEvent:
    kind: str
    """``meta``, ``token``, ``notice`` or ``done``."""
    data: dict[str, Any]


@dataclass
class TutorReply:
    """A whole turn, for callers that do not stream."""

    conversation_id: int
    message_id: int
    content: str
    citations: list[dict[str, Any]]
    notices: list[dict[str, str]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Turn:
    conversation_id: int
    user_message_id: int
    language: str
    mode: str
    prompt: PromptContext
    passages: list[Passage]
    item: Item | None
    finished: bool
    fixed_reply: str | None = None
    """A reply that needs no model: an authored hint, or "no more hints"."""


class Tutor:
    """The tutor for one backend, generating with ``model`` (``None``: generation off,
    with ``off_reason`` saying why)."""

    def __init__(
        self, backend: Backend, model: ChatModel | None, *, off_reason: str | None = None
    ) -> None:
        self.backend = backend
        self.model = model
        self.off_reason = off_reason

    # --- one turn ------------------------------------------------------------------------

    def stream(self, user: User, request: TutorRequest) -> Iterator[TutorEvent]:
        """The turn as events; the student's message is stored before the first event and
        the reply before ``done`` (or, if the client goes away, whatever was sent)."""
        _check_request(request)
        turn = self._prepare(user, request)
        texts = TEXTS[turn.language]
        generating = self.model is not None and turn.fixed_reply is None
        yield TutorEvent(
            "meta",
            {
                "conversation_id": turn.conversation_id,
                "user_message_id": turn.user_message_id,
                "mode": turn.mode,
                "language": turn.language,
                "model": self.model.describe() if generating and self.model else None,
                "generation": self.model is not None,
                "style": turn.prompt.style.as_dict(),
                "passages": [_citation(p, cited=False) for p in turn.passages],
                "exercise": turn.item.id if turn.item else None,
            },
        )
        sent, notices = "", []
        guard = StreamGuard.for_item(
            LeakCheck(turn.item, turn.language) if turn.item and not turn.finished else None
        )
        stored = False
        try:
            if turn.fixed_reply is not None:
                sent = turn.fixed_reply
                yield TutorEvent("token", {"text": sent})
            elif self.model is None:
                reason = self.off_reason or texts["off"]
                notices.append({"kind": "generation_off", "text": reason})
                yield TutorEvent("notice", notices[-1])
                sent = passages_only(turn.passages, turn.language, texts["off"])
                yield TutorEvent("token", {"text": sent})
            else:
                try:
                    pieces = self.model.stream(
                        build_messages(turn.prompt), max_tokens=turn.prompt.style.max_tokens
                    )
                    for piece in guard.feed(pieces):
                        sent += piece
                        yield TutorEvent("token", {"text": piece})
                except LearnloopError as exc:
                    log.warning("tutor model failed: %s", exc.message)
                    notices.append({"kind": "generation_failed", "text": exc.message})
                    yield TutorEvent("notice", notices[-1])
                    fallback = passages_only(turn.passages, turn.language, texts["failed"])
                    fallback = ("\n\n" if sent else "") + fallback
                    sent += fallback
                    yield TutorEvent("token", {"text": fallback})
                if guard.result.leaked is not None:
                    log.info("tutor withheld an answer to %s", turn.item.id if turn.item else "")
                    notices.append({"kind": "answer_withheld", "text": texts["withheld"]})
                    yield TutorEvent("notice", notices[-1])
                    addition = ("\n\n" if sent else "") + texts["withheld"]
                    sent += addition
                    yield TutorEvent("token", {"text": addition})
                wrong = wrong_equations(sent)
                if wrong:
                    note = correction_note(wrong, turn.language)
                    notices.append({"kind": "arithmetic_corrected", "text": note})
                    yield TutorEvent("notice", notices[-1])
                    sent += "\n\n" + note
                    yield TutorEvent("token", {"text": "\n\n" + note})
            citations = _citations(sent, turn.passages)
            message_id = self._store_reply(turn, sent, citations, notices)
            stored = True
            yield TutorEvent(
                "done",
                {
                    "conversation_id": turn.conversation_id,
                    "message_id": message_id,
                    "content": sent,
                    "citations": citations,
                    "notices": notices,
                },
            )
        finally:
            if not stored and sent:
                # the client went away mid-reply: keep what it was sent
                self._store_reply(turn, sent, _citations(sent, turn.passages), notices)

    def ask(self, user: User, request: TutorRequest) -> TutorReply:
        """The turn, whole."""
        meta: dict[str, Any] = {}
        notices: list[dict[str, str]] = []
        for event in self.stream(user, request):
            if event.kind == "meta":
                meta = event.data
            elif event.kind == "notice":
                notices.append(event.data)
            elif event.kind == "done":
                return TutorReply(
                    conversation_id=event.data["conversation_id"],
                    message_id=event.data["message_id"],
                    content=event.data["content"],
                    citations=event.data["citations"],
                    notices=notices,
                    meta=meta,
                )
        raise AssertionError("a tutor turn ended without a 'done' event")

    # --- gathering context ---------------------------------------------------------------

    def _prepare(self, user: User, request: TutorRequest) -> _Turn:
        default = self.backend.settings.default_language
        with self.backend.transaction() as s:
            course = check_course_ref(s, user, request.course_key)
            content = course_content(s, course)
            conversation = _conversation(s, user, course.id, request)
            item_content = _item(content, request, conversation, s)
            language = request.language or detect_language(
                request.message, conversation.language if conversation.id else default
            )
            conversation.language = language
            if item_content is not None and conversation.item_id is None:
                conversation.item_id = item_content.id
            if conversation.id is None:
                s.add(conversation)
                s.flush()
            user_message = MessageRow(
                conversation_id=conversation.id,
                role="user",
                mode=request.mode,
                content=request.message,
            )
            s.add(user_message)
            s.flush()
            item = item_content.item if item_content else None
            finished = item_content is not None and _finished(s, user.id, item_content.id)
            concept_ids = _focus_concepts(s, content, request, item_content)
            focus = _concept_name(s, concept_ids[0], language) if concept_ids else ""
            mistakes = _mistakes(s, user.id, course.id, language)
            # the pages that address the student's latest mistake on this exercise (what
            # the practice page recommends beside the feedback) are searched for too
            prompt_text = pick(item.prompt, language) if item else ""
            addressed = next(
                (m.feedback for m in mistakes[:1] if item and m.prompt == prompt_text), ""
            )
            query = " ".join(t for t in (request.message, prompt_text, focus, addressed) if t)
            passages = _passages(s, course.key, query, language)
            if item is not None and not finished:
                passages = _without_answers(passages, LeakCheck(item, language))
            if not concept_ids:
                concept_ids = _concepts_of_materials(s, [p.material for p in passages], course.id)
            given = _hints_given(s, conversation.id, item_content)
            hint_number = given + 1
            hints_shown = min(given, len(item.hints)) if item is not None else 0
            fixed = None
            if request.mode == "hint" and item is not None:
                if hint_number <= len(item.hints):
                    fixed = pick(item.hints[hint_number - 1], language)
                elif hint_number > len(item.hints) + GENERATED_HINTS:
                    fixed = TEXTS[language]["no_more_hints"]
            prompt = PromptContext(
                course=course.key,
                language=language,
                mode=request.mode,
                message=request.message,
                style=_style(s, user.id),
                concepts=_concept_states(s, user.id, concept_ids, content, language),
                mistakes=mistakes,
                passages=passages,
                exercise=student_view(item, language, hints_shown=hints_shown) if item else None,
                exercise_finished=finished,
                hint_number=hint_number,
                focus=focus,
                history=_history(s, conversation.id, before=user_message.id),
            )
            return _Turn(
                conversation_id=conversation.id,
                user_message_id=user_message.id,
                language=language,
                mode=request.mode,
                prompt=prompt,
                passages=passages,
                item=item,
                finished=finished,
                fixed_reply=fixed,
            )

    def _store_reply(
        self,
        turn: _Turn,
        content: str,
        citations: list[dict[str, Any]],
        notices: list[dict[str, str]],
    ) -> int:
        model = ""
        if turn.fixed_reply is not None:
            model = "course" if turn.mode == "hint" else ""
        elif self.model is not None:
            model = self.model.describe()
        with self.backend.transaction() as s:
            row = MessageRow(
                conversation_id=turn.conversation_id,
                role="assistant",
                mode=turn.mode,
                content=content,
                citations=[*citations, *({"notice": n["kind"]} for n in notices)],
                model=model[:128],
            )
            s.add(row)
            s.flush()
            return row.id


# --- checks and small queries ------------------------------------------------------------


def _check_request(request: TutorRequest) -> None:
    if request.mode not in MODES:
        raise InvalidInputError(f"mode {request.mode!r} is not one of {', '.join(MODES)}")
    if len(request.message) > MAX_MESSAGE_CHARS:
        raise InvalidInputError(
            f"the message is {len(request.message):,} characters; the tutor reads at most "
            f"{MAX_MESSAGE_CHARS:,}. Ask about one thing at a time."
        )
    if "\x00" in request.message:
        raise InvalidInputError("the message holds a NUL character; remove it")
    if request.language is not None and request.language not in TEXTS:
        raise InvalidInputError(f"language {request.language!r} is not one of en, zh")
    if request.mode == "answer" and not request.message.strip():
        raise InvalidInputError("the message is empty: type a question for the tutor")
    if request.mode in ("hint", "example") and not (request.item_key or request.conversation_id):
        raise InvalidInputError(
            f"mode {request.mode!r} is about an exercise: pass item_id (--item on the command "
            "line), or the conversation of that exercise"
        )
    if request.mode in ("explain", "check") and not (
        request.concept_key or request.item_key or request.message.strip()
    ):
        raise InvalidInputError(
            f"mode {request.mode!r} needs a concept: pass concept_id (--concept on the command "
            "line), item_id (--item) or a message"
        )


def _conversation(s: Session, user: User, course_id: int, request: TutorRequest) -> ConversationRow:
    if request.conversation_id is None:
        return ConversationRow(user_id=user.id, course_id=course_id, language="en")
    row = s.get(ConversationRow, request.conversation_id)
    if row is None or row.user_id != user.id or row.course_id != course_id:
        raise NotFoundError(
            f"no conversation {request.conversation_id} of yours in course {request.course_key!r}"
        )
    return row


def _item(
    content: CourseContent, request: TutorRequest, conversation: ConversationRow, s: Session
) -> ItemContent | None:
    if request.item_key is not None:
        found = content.items.get(request.item_key)
        if found is None:
            raise NotFoundError(f"no item {request.item_key!r} in course {request.course_key!r}")
        return found
    if conversation.item_id is not None:
        for candidate in content.items.values():
            if candidate.id == conversation.item_id:
                return candidate
    return _pasted_item(content, request.message)


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"\s+", " ", text.lower()).strip()
    return {text[i : i + 2] for i in range(len(text) - 1)}


_PROMPT_GRAMS: dict[tuple[int, datetime], list[tuple[ItemContent, frozenset[str]]]] = {}
_PROMPT_GRAMS_LOCK = threading.Lock()


def _prompt_grams(content: CourseContent) -> list[tuple[ItemContent, frozenset[str]]]:
    """Each item prompt's character pairs, once per version of the course (not per question)."""
    key = (content.course_id, content.updated_at)
    with _PROMPT_GRAMS_LOCK:
        found = _PROMPT_GRAMS.get(key)
    if found is None:
        found = [
            (item, frozenset(grams))
            for item in content.items.values()
            for text in item.row.prompt.values()
            if len(grams := _bigrams(text)) >= 8
        ]
        with _PROMPT_GRAMS_LOCK:
            if len(_PROMPT_GRAMS) > 64:
                _PROMPT_GRAMS.clear()
            _PROMPT_GRAMS[key] = found
    return found


def _pasted_item(content: CourseContent, message: str) -> ItemContent | None:
    """The exercise a question copies, so that asking about it outside its page does not
    get round the guard."""
    grams = _bigrams(message)
    if len(grams) < 8:
        return None
    best, best_score = None, 0.0
    for candidate, prompt in _prompt_grams(content):
        score = len(prompt & grams) / len(prompt)
        if score > best_score:
            best, best_score = candidate, score
    return best if best_score >= 0.7 else None


def _effective_grades(user_id: int) -> Any:
    """(attempt, its latest grade) for ``user_id``'s attempts."""
    return (
        select(AttemptRow, GradeRow)
        .join(GradeRow, GradeRow.attempt_id == AttemptRow.id)
        .where(
            AttemptRow.user_id == user_id,
            CURRENT_GRADE,
        )
    )


def _finished(s: Session, user_id: int, item_id: int) -> bool:
    """Whether the student has answered the item correctly (then the tutor may discuss its
    answer; until then it never states it)."""
    q = _effective_grades(user_id).where(
        AttemptRow.item_id == item_id, GradeRow.verdict == "correct"
    )
    return s.execute(q.limit(1)).first() is not None


def _mistakes(s: Session, user_id: int, course_id: int, language: str) -> list[Mistake]:
    q = (
        _effective_grades(user_id)
        .add_columns(ItemRow.prompt)
        .join(ItemRow, and_(ItemRow.id == AttemptRow.item_id, ItemRow.course_id == course_id))
        .where(GradeRow.verdict != "correct")
        .order_by(AttemptRow.submitted_at.desc(), AttemptRow.id.desc())
        .limit(3)
    )
    out = []
    for attempt, grade, prompt in s.execute(q):
        value = attempt.response.get("value")
        answer = ", ".join(value) if isinstance(value, list) else str(value)
        out.append(Mistake(pick(prompt, language), answer[:200], grade.feedback[:300]))
    return out


def _focus_concepts(
    s: Session, content: CourseContent, request: TutorRequest, item: ItemContent | None
) -> list[int]:
    if request.concept_key is not None:
        for cid, key in content.concepts:
            if key == request.concept_key:
                return [cid]
        raise NotFoundError(f"no concept {request.concept_key!r} in course {request.course_key!r}")
    if item is not None:
        return [cid for cid, _ in item.concepts]
    return []


def _concepts_of_materials(s: Session, keys: list[str], course_id: int) -> list[int]:
    if not keys:
        return []
    rows = s.execute(
        select(MaterialConceptRow.concept_id)
        .join(MaterialRow, MaterialRow.id == MaterialConceptRow.material_id)
        .where(MaterialRow.course_id == course_id, MaterialRow.key.in_(keys))
    )
    return list(dict.fromkeys(cid for (cid,) in rows))


def _concept_name(s: Session, concept_id: int, language: str) -> str:
    name = s.scalar(select(ConceptRow.name).where(ConceptRow.id == concept_id))
    return pick(name or {}, language)


def _concept_states(
    s: Session, user_id: int, concept_ids: list[int], content: CourseContent, language: str
) -> list[ConceptState]:
    """The focus concepts and their direct prerequisites, prerequisites first."""
    graph = content.graph
    key_of = dict(content.concepts)
    id_of = {key: cid for cid, key in content.concepts}
    wanted: dict[int, int | None] = {}
    for cid in concept_ids:
        if cid in key_of:  # a retired concept has no prerequisites
            for pre in graph.prerequisites(key_of[cid]):
                wanted.setdefault(id_of[pre], cid)
    for cid in concept_ids:
        wanted[cid] = None
    if not wanted:
        return []
    rows = s.execute(
        select(
            ConceptRow.id,
            ConceptRow.key,
            ConceptRow.name,
            MasteryRow.p_mastery,
            MasteryRow.attempts,
        )
        .join(
            MasteryRow,
            and_(MasteryRow.concept_id == ConceptRow.id, MasteryRow.user_id == user_id),
            isouter=True,
        )
        .where(ConceptRow.id.in_(list(wanted)))
    ).all()
    by_id = {cid: (key, name, p, n) for cid, key, name, p, n in rows}
    names = {cid: pick(name, language) for cid, (_, name, _, _) in by_id.items()}
    states = []
    for cid, of in wanted.items():
        if cid not in by_id:
            continue
        key, name, p, n = by_id[cid]
        mastery = p if p is not None else prior_mastery(s, cid)
        states.append(
            ConceptState(key, pick(name, language), round(mastery, 2), names.get(of), n or 0)
        )
    return states


def _hints_given(s: Session, conversation_id: int, item: ItemContent | None) -> int:
    if item is None:
        return 0
    given = s.scalar(
        select(func.count()).where(
            MessageRow.conversation_id == conversation_id,
            MessageRow.role == "assistant",
            MessageRow.mode == "hint",
        )
    )
    return int(given or 0)


def _history(s: Session, conversation_id: int, *, before: int) -> list[ChatMessage]:
    rows = list(
        s.execute(
            select(MessageRow.role, MessageRow.content)
            .where(MessageRow.conversation_id == conversation_id, MessageRow.id < before)
            .order_by(MessageRow.id.desc())
            .limit(HISTORY_TURNS)
        )
    )
    out = []
    for role, text in reversed(rows):
        text = text[:800]
        if role == "user":
            out.append(ChatMessage("user", f"<student>{text}</student>"))
        elif role == "assistant":
            out.append(ChatMessage("assistant", text))
    return out


def _style(s: Session, user_id: int) -> TutorStyle:
    rows = s.execute(
        select(RatingRow.helpful, RatingRow.reason)
        .where(RatingRow.user_id == user_id)
        .order_by(RatingRow.created_at.desc(), RatingRow.id.desc())
        .limit(10)
    ).all()
    return style_from_ratings([Rating(h, r) for h, r in reversed(rows)])


def _passages(s: Session, course_key: str, query: str, language: str) -> list[Passage]:
    hits = search_course(s, course_id=course_key, query=query, k=PASSAGES, language=language)
    return [
        Passage(
            n=i,
            material=h.chunk.material,
            title=h.chunk.title,
            section=h.chunk.section,
            anchor=h.chunk.anchor,
            language=h.chunk.language,
            text=h.chunk.text,
        )
        for i, h in enumerate(hits, 1)
    ]


def _without_answers(passages: list[Passage], check: LeakCheck) -> list[Passage]:
    """The passages with the unfinished item's answer cut out (a page may work that very
    exercise); a passage it cannot be cut from is left out."""
    kept: list[Passage] = []
    for p in passages:
        text = redact(p.text, check)
        if text is not None:
            kept.append(replace(p, n=len(kept) + 1, text=text))
    return kept


def _citation(p: Passage, *, cited: bool) -> dict[str, Any]:
    return {
        "n": p.n,
        "material_id": p.material,
        "title": p.title,
        "section": p.section,
        "anchor": p.anchor,
        "language": p.language,
        "cited": cited,
    }


def _citations(text: str, passages: list[Passage]) -> list[dict[str, Any]]:
    """The passages the reply cites by number, else every passage it was given (marked
    ``cited: false``): a reply built on the material always says where it came from."""
    numbers = {int(n) for n in _CITATION.findall(text)}
    cited = [_citation(p, cited=True) for p in passages if p.n in numbers]
    return cited or [_citation(p, cited=False) for p in passages]


# --- ratings and history -----------------------------------------------------------------


def rate(
    backend: Backend, user: User, *, message_id: int, helpful: bool, reason: str = ""
) -> TutorStyle:
    """Store the student's rating of a reply (a new rating replaces theirs); returns the
    style the tutor will use with them from now on."""
    key, _, note = reason.partition(":")
    if reason and key not in REASONS:
        raise InvalidInputError(
            f"reason {key!r} is not one of {', '.join(REASONS)}; add a note after a colon, "
            "e.g. 'other: used words I did not know'"
        )
    if len(reason) > 1000:
        raise InvalidInputError("the reason is longer than 1,000 characters; shorten it")
    with backend.transaction() as s:
        message = s.get(MessageRow, message_id)
        conversation = s.get(ConversationRow, message.conversation_id) if message else None
        if message is None or conversation is None or conversation.user_id != user.id:
            raise NotFoundError(f"no tutor reply {message_id} in your conversations")
        if message.role != "assistant":
            raise InvalidInputError(f"message {message_id} is yours; rate the tutor's replies")
        row = s.scalar(
            select(RatingRow).where(
                RatingRow.message_id == message_id, RatingRow.user_id == user.id
            )
        )
        if row is None:
            row = RatingRow(message_id=message_id, user_id=user.id, helpful=helpful)
            s.add(row)
        row.helpful = helpful
        row.reason = key if not note else f"{key}:{note.strip()}"
        s.flush()
        return _style(s, user.id)


def student_style(backend: Backend, user: User) -> TutorStyle:
    with backend.transaction() as s:
        return _style(s, user.id)


@dataclass(frozen=True)
class MessageView:
    id: int
    role: str
    mode: str
    content: str
    citations: list[dict[str, Any]]
    model: str
    created_at: datetime
    rating: dict[str, Any] | None


@dataclass(frozen=True)
class ConversationView:
    id: int
    course_id: str
    item_id: str | None
    language: str
    created_at: datetime
    messages: list[MessageView]


def _views(s: Session, rows: list[ConversationRow]) -> list[ConversationView]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    course_ids = {r.course_id for r in rows}
    courses = {
        cid: key
        for cid, key in s.execute(
            select(CourseRow.id, CourseRow.key).where(CourseRow.id.in_(course_ids))
        )
    }
    item_ids = {r.item_id for r in rows if r.item_id is not None}
    items = {
        iid: key
        for iid, key in s.execute(select(ItemRow.id, ItemRow.key).where(ItemRow.id.in_(item_ids)))
    }
    messages: dict[int, list[MessageView]] = {i: [] for i in ids}
    q = (
        select(MessageRow, RatingRow)
        .join(RatingRow, RatingRow.message_id == MessageRow.id, isouter=True)
        .where(MessageRow.conversation_id.in_(ids))
        .order_by(MessageRow.id)
    )
    for m, r in s.execute(q):
        rating = {"helpful": r.helpful, "reason": r.reason} if r is not None else None
        messages[m.conversation_id].append(
            MessageView(m.id, m.role, m.mode, m.content, m.citations, m.model, m.created_at, rating)
        )
    return [
        ConversationView(
            r.id,
            courses.get(r.course_id, ""),
            items.get(r.item_id) if r.item_id is not None else None,
            r.language,
            r.created_at,
            messages[r.id],
        )
        for r in rows
    ]


def conversations(backend: Backend, user: User, *, limit: int = 50) -> list[ConversationView]:
    """The user's latest conversations, newest first."""
    with backend.transaction() as s:
        rows = list(
            s.scalars(
                select(ConversationRow)
                .where(ConversationRow.user_id == user.id)
                .order_by(ConversationRow.id.desc())
                .limit(limit)
            )
        )
        return _views(s, rows)


def conversation(backend: Backend, user: User, conversation_id: int) -> ConversationView:
    with backend.transaction() as s:
        row = s.get(ConversationRow, conversation_id)
        if row is None or row.user_id != user.id:
            raise NotFoundError(f"no conversation {conversation_id} of yours")
        return _views(s, [row])[0]
