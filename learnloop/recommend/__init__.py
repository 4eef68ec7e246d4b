"""The recommender: what a student does next, the path to a goal, and when to review.

``graph.ConceptGraph`` answers every prerequisite question; ``policies`` choose the next
activity from a ``model.CourseModel`` and a ``model.LearnerState``; ``forgetting`` predicts
recall and due reviews; ``path`` orders what a goal needs; ``explain`` says why, in the
student's language; ``simulate`` holds simulated learners for ``bench/policies.py``.
"""

from __future__ import annotations

from learnloop.recommend.explain import explain
from learnloop.recommend.forgetting import FORGETTING, ForgettingModel, make_forgetting
from learnloop.recommend.graph import ConceptGraph
from learnloop.recommend.model import (
    ConceptState,
    CourseModel,
    ItemHistory,
    ItemInfo,
    Kind,
    LastAnswer,
    LearnerState,
    Reason,
    Suggestion,
)
from learnloop.recommend.path import PathStep, answers_to_master, learning_path
from learnloop.recommend.policies import DEFAULT_POLICY, POLICIES, Policy, make_policy

__all__ = [
    "DEFAULT_POLICY",
    "FORGETTING",
    "POLICIES",
    "ConceptGraph",
    "ConceptState",
    "CourseModel",
    "ForgettingModel",
    "ItemHistory",
    "ItemInfo",
    "Kind",
    "LastAnswer",
    "LearnerState",
    "PathStep",
    "Policy",
    "Reason",
    "Suggestion",
    "answers_to_master",
    "explain",
    "learning_path",
    "make_forgetting",
    "make_policy",
]
