"""The result of grading one answer."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class Verdict(StrEnum):
    CORRECT = "correct"
    PARTIALLY_CORRECT = "partially_correct"
    INCORRECT = "incorrect"


class Grade(BaseModel):
    verdict: Verdict
    score: float = Field(ge=0, le=1)
    feedback: str
    """Says what was right or wrong, in the student's language."""
    grader: str
    """Which grader decided, e.g. ``rules.numeric``."""
    confidence: float = Field(default=1.0, ge=0, le=1)
    details: dict[str, Any] = Field(default_factory=dict)
