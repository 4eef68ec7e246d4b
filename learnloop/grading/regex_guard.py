"""Running a teacher's regular expression against a student's answer without hanging.

Python's ``re`` has no timeout, and a pattern such as ``(a+)+$`` takes exponential time on
``aaaa…b``. The length cap in ``safe_input`` keeps simple patterns cheap (at most quadratic on
2,000 characters), so those run in-process. A pattern whose shape allows catastrophic
backtracking (a repeat inside a repeat, an alternation inside a repeat, a back-reference, or
three or more unbounded repeats) runs in a separate Python process that is killed after
``TIMEOUT_SECONDS``: slower (tens of milliseconds) but with a hard wall-clock bound that holds
in any thread, where ``signal.alarm`` cannot be used.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

TIMEOUT_SECONDS = 2.0
_UNBOUNDED_LIMIT = 3
_LARGE_REPEAT = 16

_sre: Any = importlib.import_module("re._parser")

_SCRIPT = (
    "import json, re, sys\n"
    "job = json.loads(sys.stdin.read())\n"
    "hit = any(re.fullmatch(p, job['text'], job['flags']) for p in job['patterns'])\n"
    "print(json.dumps(hit))\n"
)


def fullmatch_any(patterns: Sequence[str], text: str, flags: int = 0) -> bool | None:
    """Whether any pattern matches all of ``text``; ``None`` if that could not be decided."""
    risky: list[str] = []
    for pattern in patterns:
        if is_risky(pattern, flags):
            risky.append(pattern)
        elif re.fullmatch(pattern, text, flags):
            return True
    if not risky:
        return False
    return _fullmatch_in_subprocess(risky, text, flags)


@lru_cache(maxsize=1024)
def is_risky(pattern: str, flags: int = 0) -> bool:
    try:
        tree = _sre.parse(pattern, flags)
    except Exception:
        return True
    counter = [0]
    return _walk(tree, inside_repeat=False, unbounded=counter) or counter[0] >= _UNBOUNDED_LIMIT


def _walk(items: Iterable[tuple[Any, Any]], *, inside_repeat: bool, unbounded: list[int]) -> bool:
    for op, av in items:
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)):
            _, high, body = av
            repeats = high > 1
            if repeats and inside_repeat:
                return True
            if high == _sre.MAXREPEAT or high > _LARGE_REPEAT:
                unbounded[0] += 1
            if _walk(body, inside_repeat=inside_repeat or repeats, unbounded=unbounded):
                return True
        elif op is _sre.BRANCH:
            if inside_repeat:
                return True
            if any(_walk(alt, inside_repeat=False, unbounded=unbounded) for alt in av[1]):
                return True
        elif op is _sre.SUBPATTERN:
            if _walk(av[3], inside_repeat=inside_repeat, unbounded=unbounded):
                return True
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
            if _walk(av[1], inside_repeat=inside_repeat, unbounded=unbounded):
                return True
        elif op is getattr(_sre, "ATOMIC_GROUP", None):
            if _walk(av, inside_repeat=inside_repeat, unbounded=unbounded):
                return True
        elif op in (_sre.GROUPREF, _sre.GROUPREF_EXISTS):
            return True
    return False


def _fullmatch_in_subprocess(patterns: list[str], text: str, flags: int) -> bool | None:
    job = json.dumps({"patterns": patterns, "text": text, "flags": flags})
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _SCRIPT],
            input=job,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except (subprocess.TimeoutExpired, OSError):
        return None
    if done.returncode != 0:
        return None
    try:
        return bool(json.loads(done.stdout))
    except ValueError:
        return None
