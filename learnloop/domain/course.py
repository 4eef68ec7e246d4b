"""Schemas of a course: concepts with prerequisites, items with answer specifications, materials.

These are the shapes a course pack is parsed into (``learnloop.courses``) and stored from
(``learnloop.storage``). They check each object on its own; whole-course checks (unknown
concepts, prerequisite cycles, duplicate ids) live in ``learnloop.courses.validate``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from learnloop.domain.text import LocalizedText

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
Identifier = Annotated[str, Field(pattern=ID_PATTERN)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class ItemType(StrEnum):
    MULTIPLE_CHOICE = "multiple_choice"
    NUMERIC = "numeric"
    EXPRESSION = "expression"
    TEXT = "text"
    FREE_TEXT = "free_text"


class Choice(_Model):
    id: Identifier
    text: LocalizedText
    correct: bool = False
    feedback: LocalizedText | None = None
    """Shown when the student picks this choice (why it is right or wrong)."""


class MultipleChoiceAnswer(_Model):
    """One right choice, or several (``multiple: true``) with partial credit."""

    type: Literal["multiple_choice"] = "multiple_choice"
    choices: list[Choice] = Field(min_length=2)
    multiple: bool = False
    shuffle: bool = True

    @field_validator("choices")
    @classmethod
    def _some_choice_is_correct(cls, choices: list[Choice]) -> list[Choice]:
        if not any(c.correct for c in choices):
            raise ValueError("no choice is marked 'correct: true'")
        ids = [c.id for c in choices]
        if len(set(ids)) != len(ids):
            raise ValueError(f"choice ids repeat: {ids}")
        return choices


NumberForm = Literal["decimal", "fraction", "mixed", "percent"]
ALL_NUMBER_FORMS: tuple[NumberForm, ...] = ("decimal", "fraction", "mixed", "percent")


class NumericAnswer(_Model):
    """A number, optionally with a unit.

    ``value`` is written the way a teacher would: ``0.75``, ``3/4``, ``1 1/2`` or ``75%``.
    ``forms`` lists how a student may write it; the default accepts every form.
    """

    type: Literal["numeric"] = "numeric"
    value: str
    tolerance: float = Field(default=0.0, ge=0)
    """Absolute tolerance."""
    relative_tolerance: float = Field(default=0.0, ge=0, le=1)
    unit: str | None = None
    """The expected unit, e.g. ``cm``. A right number without it is partially correct."""
    units: dict[str, float] = Field(default_factory=dict)
    """Other accepted units with their factor to ``unit``: ``{mm: 0.1, m: 100}`` for ``cm``."""
    forms: list[NumberForm] = Field(default_factory=lambda: list(ALL_NUMBER_FORMS))
    simplest_form: bool = False
    """A fraction answer must be in lowest terms (``6/8`` for ``3/4`` is partially correct)."""


class ExpressionAnswer(_Model):
    """An algebraic expression or equation, graded by symbolic equivalence (sympy)."""

    type: Literal["expression"] = "expression"
    expression: str
    variables: list[str] = Field(default_factory=list)
    """Symbols the student may use; others make the answer incorrect with a clear message."""


class TextAnswer(_Model):
    """Short text: exact after normalisation, or a regular expression."""

    type: Literal["text"] = "text"
    accept: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    """Regular expressions matched against the whole normalised answer."""
    case_sensitive: bool = False

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        import re

        for p in patterns:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"pattern {p!r} is not a valid regular expression: {exc}") from exc
        return patterns


class FreeTextAnswer(_Model):
    """Written answers, graded by the learned grader against the item's reference answers."""

    type: Literal["free_text"] = "free_text"
    min_words: int = Field(default=0, ge=0)


AnswerSpec = Annotated[
    MultipleChoiceAnswer | NumericAnswer | ExpressionAnswer | TextAnswer | FreeTextAnswer,
    Field(discriminator="type"),
]


class Concept(_Model):
    id: Identifier
    name: LocalizedText
    description: LocalizedText = Field(default_factory=dict)
    prerequisites: list[Identifier] = Field(default_factory=list)


class Item(_Model):
    id: Identifier
    type: ItemType
    prompt: LocalizedText
    concepts: list[Identifier] = Field(min_length=1)
    answer: AnswerSpec
    reference_answers: list[LocalizedText] = Field(default_factory=list)
    rubric: list[LocalizedText] = Field(default_factory=list)
    """Key points a full answer covers (free text)."""
    hints: list[LocalizedText] = Field(default_factory=list)
    """Ordered from gentle to specific; none gives the answer away."""
    explanation: LocalizedText = Field(default_factory=dict)
    """Shown after the student has answered: why the answer is what it is."""
    difficulty: float = Field(default=0.5, ge=0, le=1)
    """0 = easiest, 1 = hardest."""

    @model_validator(mode="before")
    @classmethod
    def _answer_type_from_item(cls, data: Any) -> Any:
        """Authors write ``type`` once, on the item; the answer inherits it."""
        if isinstance(data, dict):
            kind = data.get("type")
            answer = data.get("answer")
            if answer is None and kind == ItemType.FREE_TEXT.value:
                data = {**data, "answer": {"type": kind}}
            elif isinstance(answer, dict) and "type" not in answer and isinstance(kind, str):
                data = {**data, "answer": {**answer, "type": kind}}
        return data

    @model_validator(mode="after")
    def _answer_matches_type(self) -> Item:
        if self.answer.type != self.type.value:
            raise ValueError(
                f"answer is for a {self.answer.type!r} item "
                f"but the item's type is {self.type.value!r}"
            )
        if self.type is ItemType.FREE_TEXT and not self.reference_answers:
            raise ValueError("a free_text item needs at least one entry in 'reference_answers'")
        return self


class Material(_Model):
    """A Markdown page. ``body`` holds one text per language (one file per language)."""

    id: Identifier
    title: LocalizedText
    concepts: list[Identifier] = Field(default_factory=list)
    body: LocalizedText
    order: int = 0


DEFAULT_REVIEW_THRESHOLD = 0.8
"""A learned grade less confident than this goes to a teacher unless the course says
otherwise: high enough that most machine grades a student sees stand, low enough that a
teacher is not asked about every answer."""


PolicyName = Literal["adaptive", "prerequisite-first", "fixed"]
"""The recommendation policies, by name: what the setting, ``course.yaml``, the API and the
CLI accept (the names of ``recommend.POLICIES``, which a test holds equal)."""
COURSE_POLICIES: tuple[str, ...] = get_args(PolicyName)


def review_threshold(settings: dict[str, Any]) -> float:
    """The course's ``review_threshold`` (validated on import), else the default."""
    value = settings.get("review_threshold")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return DEFAULT_REVIEW_THRESHOLD


class Course(_Model):
    id: Identifier
    title: LocalizedText
    description: LocalizedText = Field(default_factory=dict)
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    version: str = "1"
    settings: dict[str, float | int | str | bool] = Field(default_factory=dict)
    """Course settings. ``review_threshold`` (0 to 1, default 0.8): a learned free-text
    grade whose confidence is below it is provisional until a teacher reviews it. ``policy``
    (``adaptive``, ``prerequisite-first`` or ``fixed``; default the server's
    ``LEARNLOOP_RECOMMEND_POLICY``): how the next activity is chosen."""

    @field_validator("settings")
    @classmethod
    def _known_settings_are_valid(
        cls, settings: dict[str, float | int | str | bool]
    ) -> dict[str, float | int | str | bool]:
        if "review_threshold" in settings:
            value = settings["review_threshold"]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValueError(
                    f"review_threshold must be a number from 0 to 1, not {value!r} (0 sends no "
                    "learned grade to a teacher, 1 sends every one; the default is "
                    f"{DEFAULT_REVIEW_THRESHOLD})"
                )
        if "policy" in settings and settings["policy"] not in COURSE_POLICIES:
            raise ValueError(
                f"policy must be one of {', '.join(COURSE_POLICIES)}, not {settings['policy']!r}"
            )
        return settings


class CoursePack(_Model):
    """A whole course as authored: what ``learnloop course import`` stores."""

    course: Course
    concepts: list[Concept] = Field(default_factory=list)
    items: list[Item] = Field(default_factory=list)
    materials: list[Material] = Field(default_factory=list)
