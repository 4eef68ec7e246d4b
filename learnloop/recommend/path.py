"""Learning paths: what a student still has to learn to reach a goal concept, in a good order,
and about how many answers each step needs."""

from __future__ import annotations

import math
from dataclasses import dataclass

from learnloop.recommend.model import CourseModel, LearnerState


@dataclass(frozen=True)
class PathStep:
    concept: str
    p_mastery: float
    started: bool
    ready: bool
    """Every prerequisite is mastered now: it can be practised next."""
    answers: int
    """Expected answers until mastered."""


def answers_to_master(p: float, *, learn: float, mastered: float = 0.8, cap: int = 99) -> int:
    """Expected answers until P(mastered) reaches ``mastered`` under a knowledge-tracing model
    that learns with probability ``learn`` per answer. The expected posterior after an
    answer equals the prior, so only learning moves the expectation:
    ``1 - (1 - p)(1 - learn)^n``."""
    if p >= mastered:
        return 0
    if learn <= 0:
        return cap
    n = math.log((1 - mastered) / (1 - p)) / math.log(1 - min(learn, 0.99))
    return min(cap, max(1, math.ceil(n - 1e-9)))


def learning_path(
    course: CourseModel, learner: LearnerState, goal: str, *, learn: dict[str, float]
) -> list[PathStep]:
    """The goal's unmastered ancestors and the goal, prerequisites first (``graph.path_to``),
    with the answers each needs at the learning rate ``learn[concept]``."""
    mastered = learner.mastered()
    steps = []
    for concept in course.graph.path_to(goal, mastered):
        state = learner.concepts.get(concept)
        p = state.p_mastery if state else 0.0
        steps.append(
            PathStep(
                concept=concept,
                p_mastery=p,
                started=bool(state and state.started),
                ready=course.graph.is_ready(concept, mastered),
                answers=answers_to_master(
                    p, learn=learn.get(concept, 0.15), mastered=learner.mastered_at
                ),
            )
        )
    return steps
