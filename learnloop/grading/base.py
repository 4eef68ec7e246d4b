"""What every rule grader shares: the calling contract and the promise never to crash.

A learned grader for free text will implement the same ``grade(item, response, lang)``; the
web layer and services only ever see ``Grade`` objects, whichever grader decided.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel

from learnloop.domain.course import Item
from learnloop.domain.grade import Grade, Verdict
from learnloop.errors import InvalidInputError, LearnloopError
from learnloop.grading.messages import message, normalize_lang
from learnloop.grading.safe_input import UnreadableAnswer

logger = logging.getLogger(__name__)

SpecT = TypeVar("SpecT", bound=BaseModel)

REVIEW_CONFIDENCE = 0.0
"""Confidence of a grade the rules could not decide; the review queue picks these up."""


class Grader(Protocol):
    """What services call; rule graders and the later learned grader both fit it."""

    name: ClassVar[str]

    def grade(self, item: Item, response: object, lang: str = "en") -> Grade: ...


class SpecError(Exception):
    """The item's own answer specification is broken (an authoring mistake, not the student's)."""


class RuleGrader(ABC, Generic[SpecT]):
    """Grades one item type by rules.

    ``grade`` is the whole contract: it returns a ``Grade`` for any response whatsoever, and
    raises only ``InvalidInputError`` when the item itself cannot be graded (its answer
    specification is broken). Subclasses implement ``evaluate`` and may raise
    ``UnreadableAnswer`` from anywhere inside it.
    """

    name: ClassVar[str]
    spec_type: type[SpecT]

    def grade(self, item: Item, response: object, lang: str = "en") -> Grade:
        lang = normalize_lang(lang)
        spec = self._spec(item)
        try:
            return self.evaluate(spec, response, lang)
        except UnreadableAnswer as exc:
            return self.result(
                Verdict.INCORRECT,
                0.0,
                message(exc.key, lang, **exc.params),
                details={"reason": exc.key},
            )
        except SpecError as exc:
            raise InvalidInputError(
                f"item {item.id!r} cannot be graded: {exc}. Fix its 'answer' in the course pack.",
                details={"item": item.id},
            ) from exc
        except LearnloopError:
            raise
        except Exception as exc:
            # A bug or a library failure must not cost the student a wrong mark or the server
            # a request: grade it as undecided so a teacher reviews it.
            logger.exception("rule grader %s failed on item %s", self.name, item.id)
            return self.result(
                Verdict.INCORRECT,
                0.0,
                message("needs_review", lang),
                confidence=REVIEW_CONFIDENCE,
                details={"reason": "internal_error", "error": type(exc).__name__},
            )

    def check(self, item: Item) -> list[str]:
        """Problems with the item's answer specification, for course validation."""
        try:
            return self.check_spec(self._spec(item))
        except SpecError as exc:
            return [str(exc)]

    @abstractmethod
    def evaluate(self, spec: SpecT, response: object, lang: str) -> Grade:
        """Grade one response; ``lang`` is already a supported language code."""

    def check_spec(self, spec: SpecT) -> list[str]:
        """Authoring mistakes grading would trip over; raising ``SpecError`` counts as one."""
        return []

    def result(
        self,
        verdict: Verdict,
        score: float,
        feedback: str,
        *,
        confidence: float = 1.0,
        details: dict[str, object] | None = None,
    ) -> Grade:
        return Grade(
            verdict=verdict,
            score=min(1.0, max(0.0, score)),
            feedback=feedback,
            grader=self.name,
            confidence=confidence,
            details=details or {},
        )

    def _spec(self, item: Item) -> SpecT:
        spec = item.answer
        if not isinstance(spec, self.spec_type):
            raise InvalidInputError(
                f"item {item.id!r} has a {item.type.value!r} answer; "
                f"the {self.name} grader cannot grade it",
                details={"item": item.id},
            )
        return spec


def verdict_for(score: float) -> Verdict:
    if score >= 1.0:
        return Verdict.CORRECT
    if score > 0.0:
        return Verdict.PARTIALLY_CORRECT
    return Verdict.INCORRECT
