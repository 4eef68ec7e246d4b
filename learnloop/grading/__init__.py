"""Grading answers: rule graders for objective items (learned graders and review come later).

::

    grade_response(item, response, lang)  ->  Grade
        └── GRADERS[item.type]            one RuleGrader per item type
              ├── ChoiceGrader            multiple choice, single or several right
              ├── NumericGrader           exact fractions, tolerances, forms, units
              ├── ExpressionGrader        algebraic equivalence with sympy
              └── TextGrader              normalised strings and regular expressions

Every answer first passes ``safe_input`` (length cap, invisible characters, NFKC), and every
grader returns a ``Grade`` whatever the answer is: unreadable or hostile answers are graded
incorrect with feedback saying why. Only a broken item raises (``InvalidInputError``).
"""

from __future__ import annotations

from typing import Any

from learnloop.domain.course import Item, ItemType
from learnloop.domain.grade import Grade
from learnloop.errors import InvalidInputError
from learnloop.grading.base import Grader, RuleGrader
from learnloop.grading.choice import ChoiceGrader
from learnloop.grading.expression import ExpressionGrader
from learnloop.grading.messages import CATALOGUE, message, normalize_lang
from learnloop.grading.numeric import NumericGrader
from learnloop.grading.safe_input import MAX_ANSWER_CHARS
from learnloop.grading.text import TextGrader, normalize_text

GRADERS: dict[ItemType, RuleGrader[Any]] = {
    ItemType.MULTIPLE_CHOICE: ChoiceGrader(),
    ItemType.NUMERIC: NumericGrader(),
    ItemType.EXPRESSION: ExpressionGrader(),
    ItemType.TEXT: TextGrader(),
}
"""Rule graders by item type; ``free_text`` is absent on purpose (see ``supports``)."""


def supports(item: Item) -> bool:
    """Whether rules can grade this item; free-text answers need the learned grader."""
    return item.type in GRADERS


def grade_response(item: Item, response: str | list[str] | None, lang: str = "en") -> Grade:
    """Grade one answer to one item, with feedback in ``lang`` (falls back to English).

    Never raises for anything the student sent (``None``, lists, huge or hostile text);
    raises ``InvalidInputError`` if the item cannot be rule-graded or its answer spec is broken.
    """
    grader = GRADERS.get(item.type)
    if grader is None:
        raise InvalidInputError(
            f"item {item.id!r} is a {item.type.value} item, which rule grading cannot grade; "
            "grade it with the learned grader (check grading.supports(item) first)",
            details={"item": item.id, "type": item.type.value},
        )
    return grader.grade(item, response, lang)


def check_item(item: Item) -> list[str]:
    """Problems in an item's answer specification that would make grading fail or mislead.

    Meant for course validation: an empty list means every answer to this item can be graded.
    """
    grader = GRADERS.get(item.type)
    return grader.check(item) if grader is not None else []


__all__ = [
    "CATALOGUE",
    "GRADERS",
    "MAX_ANSWER_CHARS",
    "ChoiceGrader",
    "ExpressionGrader",
    "Grader",
    "NumericGrader",
    "RuleGrader",
    "TextGrader",
    "check_item",
    "grade_response",
    "message",
    "normalize_lang",
    "normalize_text",
    "supports",
]
