"""Text that may exist in several languages."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator

SUPPORTED_LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"


def _coerce_localized(value: Any) -> Any:
    """A plain string in a course pack means 'the same text in every language'.

    It is stored under the key ``"*"`` so that it is never confused with a translation.
    """
    if isinstance(value, str):
        return {"*": value}
    return value


LocalizedText = Annotated[dict[str, str], BeforeValidator(_coerce_localized)]
"""Mapping of language code (``en``, ``zh``, or ``*`` for any language) to text."""


def pick(text: dict[str, str] | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """Best text for ``lang``: the exact language, then ``*``, then English, then any."""
    if not text:
        return ""
    for key in (lang, "*", DEFAULT_LANGUAGE):
        if text.get(key):
            return text[key]
    return next(iter(text.values()))
