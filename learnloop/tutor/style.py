"""How the tutor answers one student, learnt from that student's ratings of its replies.

A "not helpful" rating may give a reason. The reasons of a student's last few ratings set
their style: shorter or longer replies, a worked example every time, simpler words. A
"helpful" rating says the style is working and changes nothing. Each rule is explicit, so a
teacher can read why the tutor answers a student the way it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

REASONS: dict[str, str] = {
    "too_long": "the reply was too long",
    "too_short": "the reply was too short",
    "too_hard": "the reply was hard to follow",
    "need_example": "the reply needed an example",
    "wrong": "the reply was wrong",
    "off_topic": "the reply did not answer the question",
    "other": "another reason (see the note)",
}
"""The reasons a student can pick when a reply did not help."""

RECENT = 5
"""How many of a student's latest ratings set their style."""

Length = Literal["short", "normal", "detailed"]
MAX_TOKENS: dict[Length, int] = {"short": 180, "normal": 400, "detailed": 700}


@dataclass(frozen=True)
class Rating:
    helpful: bool
    reason: str = ""
    """A key of ``REASONS``, optionally followed by ``:`` and the student's note."""


@dataclass(frozen=True)
class TutorStyle:
    length: Length = "normal"
    examples: bool = False
    simpler: bool = False

    @property
    def max_tokens(self) -> int:
        return MAX_TOKENS[self.length]

    def as_dict(self) -> dict[str, object]:
        return {"length": self.length, "examples": self.examples, "simpler": self.simpler}


def style_from_ratings(ratings: Sequence[Rating]) -> TutorStyle:
    """The style for a student whose ratings, oldest first, are ``ratings``."""
    recent = [r for r in ratings[-RECENT:] if not r.helpful]
    length: Length = "normal"
    reasons = [r.reason.partition(":")[0] for r in recent]  # "other: a note" -> "other"
    for reason in reasons:  # the latest length complaint wins
        if reason == "too_long":
            length = "short"
        elif reason == "too_short":
            length = "detailed"
    return TutorStyle(
        length=length,
        examples="need_example" in reasons,
        simpler="too_hard" in reasons,
    )
