"""Checking single objects of a pack (a concept, an item) before whole-course checks.

Each object is checked on its own so that one broken item does not hide the problems of the
next, and the problems authors make most often get a message of their own rather than
pydantic's generic one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from learnloop.courses.modelcheck import allowed, did_you_mean, join_hints, type_at, validate_model
from learnloop.courses.values import NUMBER_HINT, expression_error, parse_number
from learnloop.courses.yamlio import Loc, Source, has_key
from learnloop.domain import Concept, Item, ItemType
from learnloop.errors import Problem
from learnloop.grading import check_item as grading_check

ITEM_TYPES = [t.value for t in ItemType]
_ANSWER_EXAMPLES = {
    "multiple_choice": "answer: {choices: [{id: a, text: ..., correct: true}, {id: b, text: ...}]}",
    "numeric": 'answer: {value: "3/4"}',
    "expression": 'answer: {expression: "2*x + 2", variables: [x]}',
    "text": "answer: {accept: [chlorophyll]}",
}


@dataclass
class Entry:
    """One object of a pack file, valid or not: enough to locate and cross-check it."""

    kind: str
    source: Source
    base: Loc
    raw: dict[str, Any]
    obj: BaseModel | None = None

    @property
    def id(self) -> str | None:
        return self.text_at("id")

    def text_at(self, *loc: str | int) -> str | None:
        """The text at ``loc``; a plain number counts as the text it was written as (``id: 1``)."""
        value: Any = self.raw
        for seg in loc:
            if not has_key(value, seg):
                return None
            value = value[seg]
        if isinstance(value, str):
            return value
        return self.source.texts.get(self.base + loc) if isinstance(value, int | float) else None

    def refs(self, field: str) -> list[tuple[int, str]]:
        """(position, id) of each id listed under ``field``."""
        values = self.raw.get(field)
        if not isinstance(values, list):
            return []
        pairs = ((i, self.text_at(field, i)) for i in range(len(values)))
        return [(i, ref) for i, ref in pairs if ref is not None]

    @property
    def label(self) -> str:
        if self.id:
            return f"{self.kind} {self.id!r}"
        return f"{self.kind} #{int(self.base[-1]) + 1}" if self.base else self.kind

    def line(self, *loc: str | int) -> int:
        return self.source.line(self.base + loc)

    def problem(self, loc: Loc, message: str, hint: str, code: str) -> Problem:
        return Problem(self.source.file, self.line(*loc), f"{self.label}: {message}", hint, code)


def check_concept(entry: Entry) -> list[Problem]:
    entry.obj, problems = validate_model(Concept, entry.source, entry.base, entry.label)
    return problems


def check_item(entry: Entry) -> list[Problem]:
    raw = entry.raw
    problems: list[Problem] = []
    data = dict(raw)
    skip: set[str] = set()
    kind = raw.get("type")
    if "type" not in raw or kind not in ITEM_TYPES:
        unknown = "type" in raw
        problems.append(
            entry.problem(
                ("type",),
                f"unknown item type {kind!r}" if unknown else "missing 'type'",
                join_hints(
                    did_you_mean(kind, ITEM_TYPES) if unknown else "",
                    f"valid types: {', '.join(ITEM_TYPES)}",
                ),
                "unknown_item_type" if unknown else "missing_field",
            )
        )
        skip |= {"type", "answer"}
    else:
        problems += _check_answer(entry, kind, data, skip)
        problems += _misplaced_answer_fields(entry, kind, skip)
    problems += _check_prompt(entry, skip)

    def suppress(err: ErrorDetails, found: Loc) -> bool:
        loc = err["loc"]
        if not loc:  # whole-item checks, all about the answer
            return "answer" in skip
        if loc[0] == "answer" and len(loc) > 2 and loc[2] == "choices" and len(found) == 2:
            return err["type"] == "value_error" and "answer.choices" in skip
        return str(loc[0]) in skip

    entry.obj, more = validate_model(
        Item, entry.source, entry.base, entry.label, data=data, suppress=suppress
    )
    if isinstance(entry.obj, Item) and not problems and not more:
        more = [
            entry.problem(
                ("answer",),
                message,
                "fix the answer specification so every student answer can be graded",
                "answer_spec",
            )
            for message in grading_check(entry.obj)
        ]
    return problems + more


def _misplaced_answer_fields(entry: Entry, kind: str, skip: set[str]) -> list[Problem]:
    answer_fields = set(allowed(type_at(Item, ("answer", kind))))
    problems = []
    for key in entry.raw:
        if key not in Item.model_fields and key in answer_fields:
            skip.add(key)
            problems.append(
                entry.problem(
                    (key,),
                    f"unknown field {key!r}",
                    f"{key!r} belongs under 'answer:' (indent it below an 'answer:' line)",
                    "unknown_field",
                )
            )
    return problems


def _check_prompt(entry: Entry, skip: set[str]) -> list[Problem]:
    if "prompt" not in entry.raw:
        return []
    prompt = entry.raw["prompt"]
    hint = "write the question after 'prompt:'"
    if prompt is None or (isinstance(prompt, str) and not prompt.strip()) or prompt == {}:
        skip.add("prompt")
        return [entry.problem(("prompt",), "the prompt is empty", hint, "empty_prompt")]
    if isinstance(prompt, dict):
        empty = [k for k, v in prompt.items() if v is None or not str(v).strip()]
        if empty:
            skip.add("prompt")
        return [
            entry.problem(("prompt", k), f"the {k!r} prompt is empty", hint, "empty_prompt")
            for k in empty
        ]
    return []


def _check_answer(entry: Entry, kind: str, data: dict[str, Any], skip: set[str]) -> list[Problem]:
    """The answer key: the part of an item whose mistakes students would pay for."""
    answer = entry.raw.get("answer")
    if kind == ItemType.FREE_TEXT.value:
        if entry.raw.get("reference_answers"):
            return []
        data["reference_answers"] = ["(placeholder)"]
        return [
            entry.problem(
                ("reference_answers",),
                "a free_text item has no reference_answers",
                "add 'reference_answers:' with at least one model answer; the grader compares "
                "students' answers with them",
                "missing_answer",
            )
        ]
    if answer is None:
        skip.add("answer")
        return [
            entry.problem(
                ("answer",),
                f"a {kind} item has no answer",
                f"add {_ANSWER_EXAMPLES[kind]}",
                "missing_answer",
            )
        ]
    if not isinstance(answer, dict):
        return []
    if "type" in answer and answer["type"] != kind:
        skip.add("answer")
        return [
            entry.problem(
                ("answer", "type"),
                f"the answer says type {answer['type']!r} but the item is {kind!r}",
                "remove 'type' from the answer: it takes the item's type",
                "invalid_value",
            )
        ]
    checks = {
        "numeric": _check_numeric,
        "expression": _check_expression,
        "text": _check_text,
        "multiple_choice": _check_choices,
    }
    return checks[kind](entry, answer, skip)


def _check_numeric(entry: Entry, answer: dict[str, Any], skip: set[str]) -> list[Problem]:
    value = answer.get("value")
    if isinstance(value, bool) or (isinstance(value, str) and parse_number(value) is None):
        return [
            entry.problem(
                ("answer", "value"),
                f"the answer value {value!r} is not a number",
                NUMBER_HINT,
                "bad_number",
            )
        ]
    return []


def _check_expression(entry: Entry, answer: dict[str, Any], skip: set[str]) -> list[Problem]:
    expression = answer.get("expression")
    variables = answer.get("variables") or []
    if not isinstance(expression, str) or not isinstance(variables, list):
        return []
    error = expression_error(expression, [str(v) for v in variables])
    if error is None:
        return []
    return [
        entry.problem(
            ("answer", "expression"),
            f"the answer expression {expression!r} cannot be read: {error}",
            "write it in sympy syntax: 2*x + 1, 2(x+1), x^2, sqrt(x), y = 2x + 1",
            "bad_expression",
        )
    ]


def _check_text(entry: Entry, answer: dict[str, Any], skip: set[str]) -> list[Problem]:
    if answer.get("accept") or answer.get("patterns"):
        return []
    return [
        entry.problem(
            ("answer",),
            "a text item accepts no answer",
            "add 'accept: [...]' (exact answers) or 'patterns: [...]' (regular expressions)",
            "missing_answer",
        )
    ]


def _check_choices(entry: Entry, answer: dict[str, Any], skip: set[str]) -> list[Problem]:
    choices = answer.get("choices")
    if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
        return []
    skip.add("answer.choices")
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for i, choice in enumerate(choices):
        cid = choice.get("id")
        if cid is None:
            continue
        key = str(cid)
        line = entry.line("answer", "choices", i)
        if key in first:
            problems.append(
                entry.problem(
                    ("answer", "choices", i),
                    f"choice id {key!r} is used twice",
                    f"first used on line {first[key]}; give each choice its own id",
                    "duplicate_id",
                )
            )
        else:
            first[key] = line
    if not any(c.get("correct") is True for c in choices):
        problems.append(
            entry.problem(
                ("answer", "choices"),
                "no choice is marked correct",
                "add 'correct: true' to the right choice (or choices, with 'multiple: true')",
                "missing_answer",
            )
        )
    return problems
