"""Building items the way a course pack would, for grading tests."""

from __future__ import annotations

from typing import Any

from learnloop.domain import Item

_ids = iter(range(1_000_000))


def make_item(kind: str, answer: dict[str, Any] | None = None, **extra: Any) -> Item:
    data: dict[str, Any] = {
        "id": f"item-{next(_ids)}",
        "type": kind,
        "prompt": {"en": "Question?", "zh": "问题？"},
        "concepts": ["concept"],
        **extra,
    }
    if answer is not None:
        data["answer"] = answer
    return Item.model_validate(data)


def numeric(value: str, **spec: Any) -> Item:
    return make_item("numeric", {"value": value, **spec})


def expression(expr: str, variables: list[str] | None = None) -> Item:
    answer: dict[str, Any] = {"expression": expr}
    if variables is not None:
        answer["variables"] = variables
    return make_item("expression", answer)


def text(accept: list[str], patterns: list[str] | None = None, **spec: Any) -> Item:
    return make_item("text", {"accept": accept, "patterns": patterns or [], **spec})


def choice(correct: list[str], ids: str = "abcd", *, multiple: bool = False) -> Item:
    choices = [
        {
            "id": cid,
            "text": f"Choice {cid}",
            "correct": cid in correct,
            "feedback": {"en": f"About {cid}.", "zh": f"关于 {cid}。"},
        }
        for cid in ids
    ]
    return make_item("multiple_choice", {"choices": choices, "multiple": multiple})
