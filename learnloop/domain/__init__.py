"""Pydantic schemas shared by every layer."""

from __future__ import annotations

from learnloop.domain.course import (
    AnswerSpec,
    Choice,
    Concept,
    Course,
    CoursePack,
    ExpressionAnswer,
    FreeTextAnswer,
    Item,
    ItemType,
    Material,
    MultipleChoiceAnswer,
    NumericAnswer,
    TextAnswer,
)
from learnloop.domain.grade import Grade, Verdict
from learnloop.domain.text import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, LocalizedText, pick

__all__ = [
    "DEFAULT_LANGUAGE",
    "SUPPORTED_LANGUAGES",
    "AnswerSpec",
    "Choice",
    "Concept",
    "Course",
    "CoursePack",
    "ExpressionAnswer",
    "FreeTextAnswer",
    "Grade",
    "Item",
    "ItemType",
    "LocalizedText",
    "Material",
    "MultipleChoiceAnswer",
    "NumericAnswer",
    "TextAnswer",
    "Verdict",
    "pick",
]
