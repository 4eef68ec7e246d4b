"""Every error learnloop raises on purpose.

::

    LearnloopError                 base; ``message`` says what, where and how to fix it
    ├── ConfigurationError         a setting is missing or wrong
    ├── MissingExtraError          an optional dependency is not installed (names the pip command)
    ├── AuthenticationError        not logged in, or a wrong password or token
    ├── PermissionDeniedError      logged in, but this role may not do this
    ├── RateLimitedError           too many attempts; ``retry_after`` seconds to wait
    ├── NotFoundError              an id that does not exist (or that the user may not see)
    ├── ConflictError              the request clashes with stored data (duplicate, in use)
    ├── InvalidInputError          bad input from a user or a file
    │   └── CoursePackError        a course pack with problems; carries every ``Problem`` found
    ├── DatabaseError              the database cannot be reached or is at the wrong version
    ├── ChatModelUnavailable       the tutor's chat model cannot answer (weights, server, load)
    └── NotFittedError             a learned model used before ``fit``

The CLI prints ``str(error)`` on one line and exits non-zero; the web API turns each class into
one JSON error shape with a status code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


class LearnloopError(Exception):
    """Base class; ``message`` is fit to show a user."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ConfigurationError(LearnloopError):
    code = "configuration_error"
    status = 500


class MissingExtraError(LearnloopError):
    code = "missing_extra"
    status = 501

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(
            f"{feature} needs the optional package {module!r}, which is not installed. "
            f"Install it with: pip install 'learnloop[{extra}]'"
        )


class AuthenticationError(LearnloopError):
    code = "unauthenticated"
    status = 401


class PermissionDeniedError(LearnloopError):
    code = "forbidden"
    status = 403


class RateLimitedError(LearnloopError):
    code = "too_many_requests"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


class NotFoundError(LearnloopError):
    code = "not_found"
    status = 404


class ConflictError(LearnloopError):
    code = "conflict"
    status = 409


class InvalidInputError(LearnloopError):
    code = "invalid_input"
    status = 422


Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a course pack, located to a file and line.

    A ``warning`` does not stop a pack from loading (a concept nobody can practise yet);
    an ``error`` does.
    """

    file: str
    line: int | None
    message: str
    hint: str = ""
    code: str = "invalid"
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        label = "warning: " if self.severity == "warning" else ""
        text = f"{where}: {label}{self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class CoursePackError(InvalidInputError):
    code = "invalid_course_pack"

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        warnings = [p for p in self.problems if p.severity == "warning"]
        counts = [_plural(len(errors), "problem")] if errors or not warnings else []
        counts += [_plural(len(warnings), "warning")] if warnings else []
        first = f"; first: {(errors or warnings)[0]}" if self.problems else ""
        super().__init__(
            f"course pack {path} has {' and '.join(counts)}{first}",
            details={"problems": [p.__dict__ for p in self.problems]},
        )


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


class DatabaseError(LearnloopError):
    code = "database_error"
    status = 503


class ChatModelUnavailable(LearnloopError):
    """The chat model cannot generate: corrupt or missing weights, llama.cpp failed to load
    them, or the OpenAI-compatible server is unreachable or refused the request."""

    code = "chat_model_unavailable"
    status = 503


class NotFittedError(LearnloopError, ValueError):
    code = "not_fitted"
    status = 409
