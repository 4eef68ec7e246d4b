"""The tutor: ask, stream the reply (server-sent events), read conversations, rate replies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from learnloop.errors import LearnloopError
from learnloop.services import tutor
from learnloop.services.tutor import Tutor, TutorEvent, TutorRequest
from learnloop.tutor.prompts import MODES
from learnloop.tutor.style import REASONS
from learnloop.web.deps import BackendDep, UserDep
from learnloop.web.types import MAX_ID, IdPath, UtcDateTime

router = APIRouter(prefix="/tutor", tags=["tutor"])

Mode = Literal["answer", "explain", "hint", "example", "check"]
assert set(MODES) == set(Mode.__args__)  # type: ignore[attr-defined]


class AskIn(BaseModel):
    course_id: str = Field(max_length=128, description="The course the question is about")
    message: str = Field(
        default="",
        max_length=tutor.MAX_MESSAGE_CHARS,
        description="The student's question (may be empty for hint, example and check)",
    )
    mode: Mode = Field(
        default="answer",
        description="answer a question; explain a concept; a hint for an item; a worked "
        "example of a similar problem; a short question that checks understanding",
    )
    item_id: str | None = Field(
        default=None, max_length=128, description="The item being worked on"
    )
    concept_id: str | None = Field(default=None, max_length=128, description="The concept in focus")
    language: Literal["en", "zh"] | None = Field(
        default=None, description="Reply language; default: the message's, else the conversation's"
    )
    conversation_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Continue a conversation"
    )


class CitationOut(BaseModel):
    n: int
    material_id: str
    title: str
    section: str
    anchor: str
    language: str
    cited: bool = Field(description="The reply cites it by number; false: consulted, not cited")


class NoticeOut(BaseModel):
    kind: str = Field(description="answer_withheld, arithmetic_corrected, generation_off, ...")
    text: str


class ReplyOut(BaseModel):
    conversation_id: int
    message_id: int
    content: str
    citations: list[CitationOut]
    notices: list[NoticeOut]
    meta: dict[str, Any]


class RatingIn(BaseModel):
    helpful: bool
    reason: str = Field(
        default="",
        max_length=1000,
        description="Why not helpful: one of " + ", ".join(REASONS) + "; a note may follow "
        "after a colon (other: ...)",
    )


class StyleOut(BaseModel):
    length: str
    examples: bool
    simpler: bool


def _tutor(request: Request) -> Tutor:
    found: Tutor = request.app.state.tutor
    return found


def _sse(events: Iterator[TutorEvent]) -> Iterator[str]:
    """Server-sent events; an error after the stream started becomes an ``error`` event,
    since the status line has already gone."""
    try:
        for event in events:
            yield f"event: {event.kind}\ndata: {json.dumps(event.data, ensure_ascii=False)}\n\n"
    except LearnloopError as exc:
        payload = {"error": {"code": exc.code, "message": exc.message}}
        yield f"event: error\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


@router.post(
    "/messages",
    response_model=ReplyOut,
    summary="Ask the tutor",
    description="With `Accept: text/event-stream` the reply streams as server-sent events: "
    "`meta` (conversation, language, passages), `token` (text), `notice` (an answer withheld, "
    "arithmetic corrected, generation off) and `done` (the stored reply with its citations). "
    "Otherwise the whole reply comes back as JSON.",
    responses={200: {"content": {"text/event-stream": {}}}},
)
def ask(
    body: AskIn,
    request: Request,
    user: UserDep,
    accept: Annotated[str, Header()] = "application/json",
) -> Any:
    tutor_ = _tutor(request)
    question = TutorRequest(
        course_key=body.course_id,
        message=body.message,
        mode=body.mode,
        item_key=body.item_id,
        concept_key=body.concept_id,
        language=body.language,
        conversation_id=body.conversation_id,
    )
    if "text/event-stream" in accept:
        events = tutor_.stream(user, question)
        first = next(events)  # errors in the request itself still get a proper status
        return StreamingResponse(
            _sse(_chain(first, events)),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    reply = tutor_.ask(user, question)
    return ReplyOut(
        conversation_id=reply.conversation_id,
        message_id=reply.message_id,
        content=reply.content,
        citations=[CitationOut(**c) for c in reply.citations],
        notices=[NoticeOut(**n) for n in reply.notices],
        meta=reply.meta,
    )


def _chain(first: TutorEvent, rest: Iterator[TutorEvent]) -> Iterator[TutorEvent]:
    yield first
    yield from rest


@router.post(
    "/messages/{message_id}/rating",
    response_model=StyleOut,
    summary="Rate a tutor reply",
    description="Helpful or not, with an optional reason. Returns how the tutor will answer "
    "this student from now on (its style follows their recent ratings).",
)
def rate_reply(message_id: IdPath, body: RatingIn, backend: BackendDep, user: UserDep) -> StyleOut:
    style = tutor.rate(
        backend, user, message_id=message_id, helpful=body.helpful, reason=body.reason
    )
    return StyleOut(**style.as_dict())


class MessageOut(BaseModel):
    id: int
    role: str
    mode: str
    content: str
    citations: list[dict[str, Any]]
    model: str
    created_at: UtcDateTime
    rating: dict[str, Any] | None = Field(description="The student's rating of a reply")


class ConversationOut(BaseModel):
    id: int
    course_id: str
    item_id: str | None
    language: str
    created_at: UtcDateTime
    messages: list[MessageOut]


@router.get("/conversations", response_model=list[ConversationOut], summary="My conversations")
def my_conversations(backend: BackendDep, user: UserDep) -> list[ConversationOut]:
    return [
        ConversationOut.model_validate(c, from_attributes=True)
        for c in tutor.conversations(backend, user)
    ]


@router.get(
    "/conversations/{conversation_id}", response_model=ConversationOut, summary="One conversation"
)
def one_conversation(
    conversation_id: IdPath, backend: BackendDep, user: UserDep
) -> ConversationOut:
    found = tutor.conversation(backend, user, conversation_id)
    return ConversationOut.model_validate(found, from_attributes=True)
