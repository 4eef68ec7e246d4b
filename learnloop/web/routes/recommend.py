"""What to do next, the path to a goal, and goals set by students and teachers."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from learnloop.domain.course import PolicyName
from learnloop.services import goals, recommend
from learnloop.web.deps import BackendDep, UserDep
from learnloop.web.types import IdPath, UtcDateTime

router = APIRouter(tags=["recommendations"])

Lang = Literal["en", "zh"]


class MaterialOut(BaseModel):
    material_id: str
    title: str
    section: str
    anchor: str
    href: str


class ActivityOut(BaseModel):
    course_id: str
    kind: Literal["item", "review", "material", "done"] = Field(
        description="item: practise ``item_id``; review: ``item_id`` brings back a concept "
        "whose recall has faded; material: read ``material``, then answer ``item_id``; done: "
        "everything is mastered and no review is due (``next_review_at`` says when one is)."
    )
    reason: str = Field(
        description="start, ready, continue, retry, read, step_back, review, goal, "
        "course_order, done or waiting"
    )
    explanation: str = Field(description="The reason in words, in the requested language.")
    policy: str
    concept_id: str | None
    concept_name: str | None
    item_id: str | None
    p_correct: float | None = Field(
        description="The student model's probability of a right answer to the item."
    )
    next_review_at: UtcDateTime | None
    due_reviews: list[str]
    goal: str | None
    material: list[MaterialOut]


def activity_out(act: recommend.Activity) -> ActivityOut:
    return ActivityOut(**{**vars(act), "material": [MaterialOut(**vars(m)) for m in act.material]})


@router.get("/next/{course_id}", response_model=ActivityOut, summary="What should I do next?")
def next_activity(
    course_id: str,
    backend: BackendDep,
    user: UserDep,
    lang: Lang | None = None,
    policy: Annotated[
        PolicyName | None,
        Query(description="Ask another policy than the course's (for comparison)."),
    ] = None,
) -> ActivityOut:
    act = recommend.next_activity(
        backend, user, course_id, lang=lang or user.language or "en", policy=policy
    )
    return activity_out(act)


class StepOut(BaseModel):
    concept_id: str
    name: str
    p_mastery: float
    started: bool
    ready: bool = Field(description="Every prerequisite is mastered: it can be practised now.")
    answers: int = Field(description="Expected answers until mastered.")


class PathOut(BaseModel):
    course_id: str
    goal: str | None
    goal_name: str | None
    goal_source: Literal["own", "class", "asked"] | None = Field(
        description="own: the student set it; class: their teacher, for the class; asked: "
        "the request's ``goal``"
    )
    steps: list[StepOut]
    answers: int
    due_reviews: list[str]


@router.get(
    "/path/{course_id}",
    response_model=PathOut,
    summary="The path to a goal concept",
    description="The goal's unmastered prerequisites (direct or not) and the goal, in the "
    "order to learn them, with the answers each is expected to need. Without ``goal``, the "
    "student's own goal or their class's; with neither, no steps.",
)
def learning_path(
    course_id: str,
    backend: BackendDep,
    user: UserDep,
    goal: str | None = Query(default=None, min_length=1, max_length=128),
    lang: Lang | None = None,
) -> PathOut:
    p = recommend.learning_path_for(
        backend, user, course_id, goal=goal, lang=lang or user.language or "en"
    )
    return PathOut(**{**vars(p), "steps": [StepOut(**vars(st)) for st in p.steps]})


class GoalIn(BaseModel):
    concept_id: str | None = Field(
        min_length=1, max_length=128, description="The goal concept; null clears the goal."
    )


class GoalOut(BaseModel):
    course_id: str
    goal: str | None


@router.put("/goals/{course_id}", response_model=GoalOut, summary="Set my goal in a course")
def set_my_goal(course_id: str, body: GoalIn, backend: BackendDep, user: UserDep) -> GoalOut:
    goal = goals.set_goal(backend, user, course_id, body.concept_id)
    return GoalOut(course_id=course_id, goal=goal)


@router.put(
    "/classes/{class_id}/goals/{course_id}",
    response_model=GoalOut,
    summary="Set a class's goal in a course",
    description="For the class's teachers and admins. A student's own goal wins over it.",
)
def set_class_goal(
    class_id: IdPath, course_id: str, body: GoalIn, backend: BackendDep, user: UserDep
) -> GoalOut:
    goal = goals.set_goal(backend, user, course_id, body.concept_id, class_id=class_id)
    return GoalOut(course_id=course_id, goal=goal)
