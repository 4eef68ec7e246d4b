"""Response logs for knowledge tracing, and readers for the formats they come in.

A log holds one row per *response*: a student answering an item that practises one or more
skills. Public data sets often expand a multi-skill response into one row per skill, with the
same label on each; evaluated row by row, a model that updates on the first copy sees the label
of the second. The readers therefore merge such copies back into one multi-skill response
(``merge_repeats``), and every model predicts a response from the state before it.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from learnloop.errors import InvalidInputError

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

CSV_COLUMNS = ("student", "item", "skills", "correct", "timestamp")
"""Fields of the generic CSV log; ``item`` and ``timestamp`` are optional."""


@dataclass(frozen=True)
class Response:
    """One graded answer, as the live system sees it."""

    skills: tuple[str, ...]
    correct: float
    item: str | None = None


@dataclass(frozen=True)
class Record:
    """One response before encoding; ``line`` locates it in its file for error messages."""

    student: str
    item: str | None
    skills: tuple[str, ...]
    correct: int
    timestamp: float | None = None
    line: int = 0


@dataclass(frozen=True, eq=False)
class InteractionLog:
    """Responses as arrays, grouped by student and in time order within each student.

    ``skill_ptr``/``skill`` hold each response's skills in CSR form: the skills of response
    ``i`` are ``skill[skill_ptr[i]:skill_ptr[i + 1]]``. Codes index the name arrays
    ``students``, ``items`` and ``skills``; an item code of -1 means no item is known.
    """

    student: IntArray
    item: IntArray
    skill_ptr: IntArray
    skill: IntArray
    correct: NDArray[np.int8]
    students: NDArray[np.str_]
    items: NDArray[np.str_]
    skills: NDArray[np.str_]
    timestamp: FloatArray | None = None

    def __post_init__(self) -> None:
        n = len(self.student)
        if not (len(self.item) == len(self.correct) == n and len(self.skill_ptr) == n + 1):
            raise ValueError("InteractionLog arrays have inconsistent lengths")
        if n and np.any(np.diff(self.skill_ptr) < 1):
            raise ValueError("every response needs at least one skill")

    def __len__(self) -> int:
        return len(self.student)

    @property
    def n_students(self) -> int:
        return len(np.unique(self.student))

    def skills_of(self, i: int) -> tuple[str, ...]:
        return tuple(
            str(s) for s in self.skills[self.skill[self.skill_ptr[i] : self.skill_ptr[i + 1]]]
        )

    def item_of(self, i: int) -> str | None:
        code = int(self.item[i])
        return str(self.items[code]) if code >= 0 else None

    def response(self, i: int) -> Response:
        return Response(self.skills_of(i), float(self.correct[i]), self.item_of(i))

    def expanded(self) -> tuple[IntArray, IntArray]:
        """``(row, skill)`` pairs: one per skill of each response, in row order."""
        counts = np.diff(self.skill_ptr)
        return np.repeat(np.arange(len(self), dtype=np.int64), counts), self.skill

    def first_of_sequence(self) -> NDArray[np.bool_]:
        """True on each student's first response."""
        first = np.ones(len(self), dtype=bool)
        first[1:] = self.student[1:] != self.student[:-1]
        return first

    def select_students(self, keep: NDArray[np.bool_] | IntArray) -> InteractionLog:
        """The responses of the students whose codes are in ``keep`` (codes or a mask over
        ``students``), with the same name arrays."""
        given = np.asarray(keep)
        everyone = np.arange(len(self.students))
        wanted = given if given.dtype == bool else np.isin(everyone, given)
        return self.take(np.flatnonzero(wanted[self.student]))

    def take(self, rows: IntArray) -> InteractionLog:
        counts = np.diff(self.skill_ptr)[rows]
        ptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        starts = self.skill_ptr[rows]
        idx = np.repeat(starts - ptr[:-1], counts) + np.arange(ptr[-1])
        return InteractionLog(
            student=self.student[rows],
            item=self.item[rows],
            skill_ptr=ptr,
            skill=self.skill[idx],
            correct=self.correct[rows],
            students=self.students,
            items=self.items,
            skills=self.skills,
            timestamp=None if self.timestamp is None else self.timestamp[rows],
        )

    def summary(self) -> str:
        multi = int(np.sum(np.diff(self.skill_ptr) > 1))
        return (
            f"{len(self):,} responses, {self.n_students:,} students, "
            f"{len(np.unique(self.skill)):,} skills, {len(np.unique(self.item[self.item >= 0])):,}"
            f" items, {multi:,} multi-skill, {float(np.mean(self.correct)) if len(self) else 0:.1%}"
            " correct"
        )

    @classmethod
    def from_records(
        cls, records: Iterable[Record], *, merge_repeats: bool = True
    ) -> InteractionLog:
        """Encode records: students keep their first-appearance order, each student's
        responses are sorted by timestamp (stable, so file order breaks ties).

        With ``merge_repeats``, consecutive rows of one student with the same item, label and
        timestamp but a new skill are one expanded multi-skill response and become one row.
        """
        by_student: dict[str, list[Record]] = {}
        for rec in records:
            by_student.setdefault(rec.student, []).append(rec)
        students: list[str] = list(by_student)
        item_codes: dict[str, int] = {}
        skill_codes: dict[str, int] = {}
        st: list[int] = []
        it: list[int] = []
        ptr: list[int] = [0]
        sk: list[int] = []
        y: list[int] = []
        ts: list[float] = []
        has_time = False
        for code, name in enumerate(students):
            recs = by_student[name]
            if any(r.timestamp is not None for r in recs):
                has_time = True
                recs = sorted(recs, key=lambda r: -math.inf if r.timestamp is None else r.timestamp)
            prev: Record | None = None
            group: set[str] = set()
            for rec in recs:
                if (
                    merge_repeats
                    and prev is not None
                    and rec.item is not None
                    and rec.item == prev.item
                    and rec.correct == prev.correct
                    and rec.timestamp == prev.timestamp
                    and not group.intersection(rec.skills)
                ):
                    for s in rec.skills:
                        sk.append(skill_codes.setdefault(s, len(skill_codes)))
                    group.update(rec.skills)
                    ptr[-1] = len(sk)
                    continue
                st.append(code)
                it.append(
                    -1 if rec.item is None else item_codes.setdefault(rec.item, len(item_codes))
                )
                for s in dict.fromkeys(rec.skills):
                    sk.append(skill_codes.setdefault(s, len(skill_codes)))
                ptr.append(len(sk))
                y.append(rec.correct)
                ts.append(math.nan if rec.timestamp is None else rec.timestamp)
                prev, group = rec, set(rec.skills)
        return cls(
            student=np.asarray(st, dtype=np.int64),
            item=np.asarray(it, dtype=np.int64),
            skill_ptr=np.asarray(ptr, dtype=np.int64),
            skill=np.asarray(sk, dtype=np.int64),
            correct=np.asarray(y, dtype=np.int8),
            students=_names(students),
            items=_names(item_codes),
            skills=_names(skill_codes),
            timestamp=np.asarray(ts, dtype=np.float64) if has_time else None,
        )


def _names(names: Iterable[str]) -> NDArray[np.str_]:
    arr = np.asarray(list(names), dtype=np.str_)
    return arr if arr.size else np.zeros(0, dtype="<U1")


# --- readers ------------------------------------------------------------------------------


def _error(path: Path | str, line: int, message: str, hint: str = "") -> InvalidInputError:
    text = f"{path}:{line}: {message}"
    return InvalidInputError(f"{text} ({hint})" if hint else text, details={"line": line})


def _label(value: str, path: Path | str, line: int) -> int:
    v = value.strip().lower()
    if v in {"1", "true", "correct", "yes"}:
        return 1
    if v in {"0", "false", "incorrect", "wrong", "no"}:
        return 0
    try:
        score = float(v)
    except ValueError:
        score = math.nan
    if not 0.0 <= score <= 1.0:
        raise _error(path, line, f"correctness {value!r} is not 0/1 or a score in [0, 1]")
    return int(score >= 0.5)


def _timestamp(value: str, path: Path | str, line: int) -> float | None:
    v = value.strip()
    if not v:
        return None
    try:
        return float(v)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise _error(
            path, line, f"timestamp {value!r} is neither a number nor an ISO 8601 date"
        ) from None


def read_csv(
    path: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    skill_sep: str = ";",
    delimiter: str = ",",
    merge_repeats: bool = True,
) -> InteractionLog:
    """A CSV with a header row and one response per row.

    ``columns`` maps our fields (student, item, skills, correct, timestamp) to the file's
    column names, e.g. ``{"student": "user_id", "skills": "skill_id"}``; unmapped fields use
    their own name. ``item`` and ``timestamp`` may be absent. A skills cell may list several
    skills separated by ``skill_sep``; ``correct`` is 0/1, true/false or a score in [0, 1]
    (scores of 0.5 and above count as correct).
    """
    path = Path(path)
    unknown = set(columns or {}) - set(CSV_COLUMNS)
    if unknown:
        raise InvalidInputError(
            f"unknown log field(s) {sorted(unknown)}; the fields are {', '.join(CSV_COLUMNS)}"
        )
    names = {field: (columns or {}).get(field, field) for field in CSV_COLUMNS}
    records: list[Record] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh, delimiter=delimiter)
            header = reader.fieldnames or []
            for field in ("student", "skills", "correct"):
                if names[field] not in header:
                    raise _error(
                        path,
                        1,
                        f"no column {names[field]!r} for the {field} field (columns: "
                        f"{', '.join(header) or 'none'})",
                        f"map it with {field}=COLUMN",
                    )
            has_item = names["item"] in header
            has_time = names["timestamp"] in header
            for row in reader:
                line = reader.line_num
                if None in row or any(v is None for v in row.values()):
                    raise _error(path, line, f"expected {len(header)} fields")
                student = row[names["student"]].strip()
                if not student:
                    raise _error(path, line, "empty student")
                skills = tuple(
                    s.strip() for s in row[names["skills"]].split(skill_sep) if s.strip()
                )
                if not skills:
                    raise _error(path, line, "no skill; every response needs at least one")
                item = row[names["item"]].strip() or None if has_item else None
                records.append(
                    Record(
                        student=student,
                        item=item,
                        skills=skills,
                        correct=_label(row[names["correct"]], path, line),
                        timestamp=_timestamp(row[names["timestamp"]], path, line)
                        if has_time
                        else None,
                        line=line,
                    )
                )
    except OSError as exc:
        raise InvalidInputError(f"cannot read log {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInputError(f"{path}: not a readable CSV file ({exc})") from exc
    return InteractionLog.from_records(records, merge_repeats=merge_repeats)


def _ints(text: str, path: Path | str, line: int, what: str) -> list[str]:
    values = [v.strip() for v in text.strip().split(",")]
    if not values or any(v == "" for v in values):
        raise _error(path, line, f"empty value in the {what} line")
    return values


def detect_sequence_format(lines: Sequence[str]) -> int:
    """3 or 4 lines per sequence. In the 4-line format the fourth line holds the labels of
    the first sequence, as long as its second line; in the 3-line format it is the next
    ``seq_index,user_id`` header. Short or broken first blocks fall back on the line count."""
    if len(lines) >= 4:
        second = [v.strip() for v in lines[1].split(",")]
        fourth = [v.strip() for v in lines[3].split(",")]
        if len(fourth) != len(second):
            return 3
        if len(second) > 2 or set(fourth) <= {"0", "1"}:
            return 4
    return 4 if len(lines) % 4 == 0 and len(lines) % 3 else 3


def read_sequences(
    path: str | Path, *, lines_per_sequence: int | None = None, merge_repeats: bool = True
) -> InteractionLog:
    """The pyKT / AKT sequence format: per student ``seq_index,user_id``, then (4-line
    format) problem ids, then skill ids, then 0/1 correctness, each comma separated; the
    3-line format has no problem line. A skill cell may hold several ids joined by ``_``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInputError(f"cannot read log {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{path}: not a text file ({exc})") from exc
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    k = lines_per_sequence or detect_sequence_format(lines)
    if k not in (3, 4):
        raise InvalidInputError(f"lines_per_sequence must be 3 or 4, not {k}")
    if len(lines) % k:
        raise _error(
            path,
            len(lines),
            f"the file ends inside a sequence: {len(lines)} lines is not a multiple of {k}",
        )
    records: list[Record] = []
    for start in range(0, len(lines), k):
        head = [v.strip() for v in lines[start].split(",")]
        if not head[0] or len(head) > 2 or any(not v for v in head):
            raise _error(
                path, start + 1, f"expected a header 'seq_index,user_id', got {lines[start]!r}"
            )
        student = head[-1]
        items: list[str | None]
        if k == 4:
            items = list(_ints(lines[start + 1], path, start + 2, "problem"))
        skills = _ints(lines[start + k - 2], path, start + k - 1, "skill")
        labels = _ints(lines[start + k - 1], path, start + k, "correctness")
        if k == 3:
            items = [None] * len(skills)
        if not len(items) == len(skills) == len(labels):
            raise _error(
                path,
                start + 1,
                f"sequence lines have different lengths ({len(items)} problems, "
                f"{len(skills)} skills, {len(labels)} labels)"
                if k == 4
                else f"sequence lines have different lengths ({len(skills)} skills, "
                f"{len(labels)} labels)",
            )
        for j, (item, skill, label) in enumerate(zip(items, skills, labels, strict=True)):
            if label == "-1" or skill == "-1":
                continue  # pyKT padding
            if label not in {"0", "1"}:
                raise _error(
                    path, start + k, f"correctness {label!r} at position {j + 1} is not 0 or 1"
                )
            records.append(
                Record(
                    student=student,
                    item=item,
                    skills=tuple(skill.split("_")),
                    correct=int(label),
                    line=start + 1,
                )
            )
    return InteractionLog.from_records(records, merge_repeats=merge_repeats)


def read_log(
    path: str | Path,
    *,
    merge_repeats: bool = True,
    csv_options: Mapping[str, Any] | None = None,
) -> InteractionLog:
    """A log in any supported format: a sequence file starts with a ``seq_index,user_id``
    line (at most two fields, the first a number); a CSV log has a header of at least three
    columns (read with ``csv_options``)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig") as fh:
            first = fh.readline()
    except OSError as exc:
        raise InvalidInputError(f"cannot read log {path}: {exc.strerror or exc}") from exc
    values = [v.strip() for v in first.split(",")]
    if len(values) <= 2 and values[0].isdigit():
        return read_sequences(path, merge_repeats=merge_repeats)
    return read_csv(path, merge_repeats=merge_repeats, **dict(csv_options or {}))
