"""Validating one YAML object against a domain model, with errors an author can act on.

Pydantic reports a location like ``('answer', 'numeric', 'choices', 1, 'id')``; authors need
``items/x.yaml:14: item 'q1': answer.choices[1] is missing 'id'`` and a hint naming the fields
they may write. This module does that translation.
"""

from __future__ import annotations

import copy
import difflib
import types
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from learnloop.courses.yamlio import Loc, Source, resolve
from learnloop.domain.text import LocalizedText
from learnloop.errors import Problem

M = TypeVar("M", bound=BaseModel)

_TYPE_WORDS = {
    "string_type": "text",
    "dict_type": "a mapping (key: value lines)",
    "list_type": "a list ([a, b] or one '- ' line per entry)",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
}
_LOCALIZED_WORDS = "text, or a mapping from language to text like {en: ..., zh: ...}"


def did_you_mean(word: object, options: Iterable[str]) -> str:
    """'did you mean X?' for a likely typo, else an empty string."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def join_hints(*parts: str) -> str:
    text = ""
    for part in filter(None, parts):
        text += (" " if text.endswith("?") else "; ") + part if text else part
    return text


def allowed_fields(model: type[BaseModel]) -> list[str]:
    """Fields an author may write: the ``type`` discriminator of answers is set for them."""
    return [
        name
        for name, info in model.model_fields.items()
        if get_origin(info.annotation) is not Literal
    ]


def format_loc(loc: Loc) -> str:
    text = ""
    for seg in loc:
        text += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if text else str(seg))
    return text


def validate_model(
    model: type[M],
    source: Source,
    base: Loc,
    label: str,
    *,
    data: Any = None,
    suppress: Callable[[ErrorDetails, Loc], bool] | None = None,
) -> tuple[M | None, list[Problem]]:
    """Validate ``source`` data at ``base`` (or ``data``, a prepared copy of it).

    A plain YAML number or ``true`` where text is wanted (``text: 0.5``, ``id: 1``) is read as
    the text the author typed: that is what they meant, and ``0.50`` must stay ``0.50``.
    """
    work = copy.deepcopy(source.value_at(base) if data is None else data)
    errors: list[ErrorDetails] = []
    for _ in range(4):
        try:
            return model.model_validate(work), []
        except ValidationError as exc:
            errors = exc.errors()
        if not _use_source_text(work, errors, source, base):
            break
    problems: list[Problem] = []
    seen: set[Loc] = set()
    for err in errors:
        found = resolve(work, err["loc"])
        if suppress is not None and suppress(err, found):
            continue
        if err["type"] in _TYPE_WORDS or err["type"].endswith("_type"):
            if found in seen:
                continue  # one report for all members of a union
            seen.add(found)
        problems.append(_problem(model, source, base, label, err, found))
    return None, problems


def _use_source_text(work: Any, errors: list[ErrorDetails], source: Source, base: Loc) -> bool:
    changed = False
    for err in errors:
        if err["type"] not in ("string_type", "dict_type"):
            continue
        if not isinstance(err["input"], int | float):
            continue
        found = resolve(work, err["loc"])
        text = source.texts.get(base + found)
        if text is None or not found:
            continue
        parent = _value_at(work, found[:-1])
        if isinstance(parent, dict | list):
            parent[found[-1]] = text  # type: ignore[index]
            changed = True
    return changed


def _value_at(data: Any, loc: Loc) -> Any:
    for seg in loc:
        data = data[seg]
    return data


def _problem(
    model: type[BaseModel],
    source: Source,
    base: Loc,
    label: str,
    err: ErrorDetails,
    found: Loc,
) -> Problem:
    kind = err["type"]
    loc = tuple(err["loc"])
    line = source.line(base + found)
    where = f"{label}: " if label else ""
    if kind == "missing":
        parent = type_at(model, loc[:-1])
        name = loc[-1]
        inside = f"{format_loc(found)} is " if found else ""
        required = [
            n for n, info in _fields(parent).items() if info.is_required() and n in allowed(parent)
        ]
        hint = f"add '{name}:'"
        if required:
            hint += f" (required: {', '.join(required)})"
        return Problem(
            source.file, line, f"{where}{inside}missing '{name}'", hint, code="missing_field"
        )
    if kind == "extra_forbidden":
        parent = type_at(model, loc[:-1])
        name = loc[-1]
        options = allowed(parent)
        hint = join_hints(
            did_you_mean(name, options), f"allowed fields: {', '.join(options)}" if options else ""
        )
        return Problem(
            source.file, line, f"{where}unknown field {format_loc(found)!r}", hint, "unknown_field"
        )
    target = type_at(model, loc)
    path = format_loc(found) or "the value"
    prefix = f"{format_loc(found)}: " if found else ""
    if kind in _TYPE_WORDS or kind.endswith("_type"):
        expected = _LOCALIZED_WORDS if is_localized(target) else _TYPE_WORDS.get(kind, kind)
        got = _describe(err["input"])
        return Problem(
            source.file,
            line,
            f"{where}{path} should be {expected}, not {got}",
            hint=_type_hint(kind, err["input"]),
            code="invalid_value",
        )
    msg = err["msg"].removeprefix("Value error, ")
    hint = ""
    if kind == "string_pattern_mismatch":
        msg = f"{err['input']!r} is not a valid id"
        hint = "ids use letters, digits and - _ . and start with a letter or digit"
        if found and found[-1] == "id":
            return Problem(source.file, line, f"{where}{msg}", hint, code="invalid_value")
    elif kind == "too_short":
        hint = "add at least one entry"
    return Problem(source.file, line, f"{where}{prefix}{msg}", hint, code="invalid_value")


def _type_hint(kind: str, value: object) -> str:
    if kind == "list_type" and isinstance(value, str):
        return f"write a list: [{value}]"
    if value is None:
        return "the value is empty; write it after the colon or remove the line"
    return ""


def _describe(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _fields(tp: Any) -> dict[str, Any]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return dict(tp.model_fields)
    return {}


def allowed(tp: Any) -> list[str]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return allowed_fields(tp)
    return []


def type_at(model: type[BaseModel], loc: Iterable[str | int]) -> Any:
    """The annotation that governs ``loc`` (Annotated kept, so LocalizedText is recognisable)."""
    tp: Any = model
    for seg in loc:
        tp = _step(tp, seg)
        if tp is None:
            return None
    return tp


def _step(tp: Any, seg: str | int) -> Any:
    origin = get_origin(tp)
    if origin is Annotated:
        return _step(get_args(tp)[0], seg)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        info = tp.model_fields.get(str(seg))
        return info.rebuild_annotation() if info is not None else None
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        for member in members:
            info = _fields(member).get("type")
            if info is not None and info.default == seg:
                return member
        for member in members:
            result = _step(member, seg)
            if result is not None:
                return result
        return None
    if origin is list and isinstance(seg, int):
        return get_args(tp)[0]
    if origin is dict:
        return get_args(tp)[1]
    return None


def is_localized(tp: Any) -> bool:
    """True for ``LocalizedText`` (possibly optional): the fields checked for languages."""
    if tp == LocalizedText:
        return True
    if get_origin(tp) in (Union, types.UnionType):
        return any(is_localized(a) for a in get_args(tp))
    return False
