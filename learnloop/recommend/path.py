"""Learning paths: what a student still has to learn to reach a goal concept, in a good order,
and about how many answers each step needs."""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass
from functools import lru_cache

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


DEFAULT_PARAMS = {"learn": 0.1, "guess": 0.2, "slip": 0.1}


@lru_cache(maxsize=8192)
def _median_answers(
    p: float, learn: float, guess: float, slip: float, mastered: float, cap: int
) -> int:
    rng = random.Random(0)
    counts = []
    for _ in range(RUNS):
        known = rng.random() < p  # the student as the estimate believes them to be
        belief, n = p, 0
        while belief < mastered and n < cap:
            right = rng.random() < ((1 - slip) if known else guess)
            if right:
                post = belief * (1 - slip) / (belief * (1 - slip) + (1 - belief) * guess)
            else:
                post = belief * slip / (belief * slip + (1 - belief) * (1 - guess))
            belief = post + (1 - post) * learn
            known = known or rng.random() < learn
            n += 1
        counts.append(n)
    return max(1, int(statistics.median(counts)))


RUNS = 400
"""Simulated students behind each estimate."""


def answers_to_master(
    p: float,
    *,
    learn: float,
    guess: float = 0.2,
    slip: float = 0.1,
    mastered: float = 0.95,
    cap: int = 60,
) -> int:
    """About how many answers a student at P(mastered) = ``p`` needs until the estimate
    reaches ``mastered``, under a BKT with these parameters: the median over simulated
    students drawn from the estimate itself (each knows the concept with probability ``p``,
    answers right with ``1 - slip`` if so and ``guess`` if not, and learns with ``learn`` per
    answer), the estimate moved by each answer as the answer loop moves it."""
    if p >= mastered:
        return 0
    return _median_answers(round(p, 3), learn, guess, slip, mastered, cap)


def learning_path(
    course: CourseModel,
    learner: LearnerState,
    goal: str,
    *,
    params: dict[str, dict[str, float]],
) -> list[PathStep]:
    """The goal's unmastered ancestors and the goal, prerequisites first (``graph.path_to``),
    with the answers each needs under the BKT parameters ``params[concept]`` (``learn``,
    ``guess``, ``slip``)."""
    mastered = learner.mastered()
    steps = []
    for concept in course.graph.path_to(goal, mastered):
        state = learner.concepts.get(concept)
        p = state.p_mastery if state else 0.0
        prm = {**DEFAULT_PARAMS, **params.get(concept, {})}
        steps.append(
            PathStep(
                concept=concept,
                p_mastery=p,
                started=bool(state and state.started),
                ready=course.graph.is_ready(concept, mastered),
                answers=answers_to_master(
                    p,
                    learn=prm["learn"],
                    guess=prm["guess"],
                    slip=prm["slip"],
                    mastered=learner.mastered_at,
                ),
            )
        )
    return steps
